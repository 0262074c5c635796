/* bk_scanner over a directory tree built here (a Maildir, an mbox, single
 * messages, an empty file, an oversize message, a dangling link), parse limits
 * (bk_limits), and recording scanned reports into a ledger. With
 * arguments DIR N it also scans DIR (the shared corpus, N files) and expects at
 * least N messages, every one a report. */
#define _DEFAULT_SOURCE /* mkdtemp, symlink */
#include "bouncekit.h"
#include "check.h"
#include "samples.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[256];

static void write_file(const char *rel, const char *data, size_t len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK(fwrite(data, 1, len, f) == len);
        fclose(f);
    }
}

static void make_dir(const char *rel) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", root, rel);
    CHECK(system(cmd) == 0);
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = s ? strlen(s) : 0, b = strlen(suffix);
    return s != NULL && a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The tree; names sort in the order the scan must follow. */
static void build_tree(void) {
    make_dir("tree/Maildir/cur");
    make_dir("tree/Maildir/new");
    make_dir("tree/Maildir/tmp");
    write_file("tree/Maildir/cur/1.eml", DSN, sizeof DSN - 1);
    write_file("tree/Maildir/new/2.eml", ARF, sizeof ARF - 1);
    write_file("tree/Maildir/tmp/3.eml", DSN, sizeof DSN - 1); /* being written: skipped */
    write_file("tree/a_dsn.eml", DSN, sizeof DSN - 1);
    /* An mbox of three messages; a body line "From ..." is quoted. */
    char mbox[8192];
    int n = snprintf(mbox, sizeof mbox,
                     "From MAILER-DAEMON Mon Mar  3 10:00:00 2025\n%s\n"
                     "From feedback@fbl.example.net Mon Mar  3 10:00:01 2025\n%s\n"
                     "From alice@example.com Mon Mar  3 10:00:02 2025\n%s",
                     DSN, ARF, PLAIN);
    CHECK(n > 0 && (size_t)n < sizeof mbox);
    write_file("tree/b.mbox", mbox, (size_t)n);
    write_file("tree/c_empty.eml", "", 0); /* not a message */
    /* Over the 16 KiB limit used below. */
    size_t big_len = 20000;
    char *big = (char *)malloc(big_len);
    memcpy(big, DSN, sizeof DSN - 1);
    memset(big + sizeof DSN - 1, 'x', big_len - (sizeof DSN - 1));
    write_file("tree/d_big.eml", big, big_len);
    free(big);
    char target[512], link[512];
    snprintf(target, sizeof target, "%s/tree/nowhere", root);
    snprintf(link, sizeof link, "%s/tree/e_dangling.eml", root);
    CHECK(symlink(target, link) == 0);
}

static void test_limits(void) {
    bk_limits d = bk_limits_default();
    CHECK(d.max_message_size == 64u << 20);
    CHECK(d.max_mime_depth == 32);
    CHECK(d.max_parts == 2000);
    CHECK(d.max_recipients == 10000);
    CHECK(d.max_diagnostic_len == 4096);

    bk_classifier *cl = NULL;
    CHECK_RESULT(bk_classifier_new(&cl), BK_RESULT_OK);
    bk_report *r = (bk_report *)0x1; /* must stay untouched on failure */
    bk_limits l = d;
    l.max_recipients = 1; /* the DSN has two */
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &l, (const uint8_t *)DSN, sizeof DSN - 1, &r),
                 BK_RESULT_LIMIT_EXCEEDED);
    CHECK(r == (bk_report *)0x1);
    l = d;
    l.max_message_size = 100;
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &l, (const uint8_t *)DSN, sizeof DSN - 1, &r),
                 BK_RESULT_LIMIT_EXCEEDED);
    char msg[256];
    size_t w = 0;
    bk_last_error_message(msg, sizeof msg, &w);
    CHECK(strstr(msg, "max_message_size") != NULL);
    l = d;
    l.max_parts = 0;
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &l, (const uint8_t *)DSN, sizeof DSN - 1, &r),
                 BK_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, NULL, (const uint8_t *)DSN, sizeof DSN - 1, &r),
                 BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_parse_with_limits(NULL, &d, (const uint8_t *)DSN, sizeof DSN - 1, &r),
                 BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &d, NULL, 10, &r), BK_RESULT_NULL_PARAMETER);
    CHECK(r == (bk_report *)0x1);
    /* A short diagnostic limit cuts, it does not refuse. */
    l = d;
    l.max_diagnostic_len = 10;
    r = NULL;
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &l, (const uint8_t *)DSN, sizeof DSN - 1, &r),
                 BK_RESULT_OK);
    CHECK(bk_report_recipient_count(r) == 2);
    CHECK(strlen(bk_bounce_diagnostic(bk_report_recipient(r, 0))) <= 10);
    CHECK(bk_report_source(r) == NULL);
    bk_report_free(r);
    bk_classifier_free(cl);
}

static void test_scanner_bad_input(void) {
    bk_scanner *s = (bk_scanner *)0x1;
    bk_limits l = bk_limits_default();
    l.max_mime_depth = 0;
    CHECK_RESULT(bk_scanner_new(NULL, &l, &s), BK_RESULT_INVALID_PARAMETER);
    CHECK(s == (bk_scanner *)0x1);
    CHECK_RESULT(bk_scanner_new(NULL, NULL, NULL), BK_RESULT_NULL_PARAMETER);
    s = NULL;
    CHECK_RESULT(bk_scanner_new(NULL, NULL, &s), BK_RESULT_OK);
    CHECK_RESULT(bk_scanner_add_path(s, NULL, 5), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_scanner_add_path(s, (const uint8_t *)"x", 0), BK_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(bk_scanner_add_path(NULL, (const uint8_t *)"x", 1), BK_RESULT_NULL_PARAMETER);
    static const char missing[] = "/nonexistent/bouncekit/path";
    CHECK_RESULT(bk_scanner_add_path(s, (const uint8_t *)missing, sizeof missing - 1), BK_RESULT_IO_ERROR);
    static const char nul[] = "a\0b";
    CHECK_RESULT(bk_scanner_add_path(s, (const uint8_t *)nul, 3), BK_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(bk_scanner_next(s, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_scanner_next(NULL, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_scanner_set_threads(NULL, 2), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_scanner_set_threads(s, 0), BK_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(bk_scanner_set_threads(s, 2), BK_RESULT_OK);
    /* No inputs: the end at once, and again. */
    bk_report *r = (bk_report *)0x1;
    CHECK_RESULT(bk_scanner_next(s, &r), BK_RESULT_OK);
    CHECK(r == NULL);
    CHECK_RESULT(bk_scanner_next(s, &r), BK_RESULT_OK);
    CHECK(r == NULL);
    CHECK(bk_scanner_source(s) == NULL);
    CHECK(bk_scanner_source(NULL) == NULL);
    CHECK(bk_scanner_bytes_read(NULL) == 0);
    /* Started: no more paths, no other thread count. */
    CHECK_RESULT(bk_scanner_add_path(s, (const uint8_t *)root, strlen(root)), BK_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(bk_scanner_set_threads(s, 1), BK_RESULT_INVALID_PARAMETER);
    bk_scanner_free(s);
    bk_scanner_free(NULL);
}

/* Scans the tree with a user classifier (freed before the scan: the
 * scanner keeps what it needs) and 16 KiB limits; records every report. */
static void test_scan_tree(void) {
    static const char rules[] = "[[rule]]\nid = \"t.vip\"\nreason = \"filtered\"\npriority = 100\n"
                                "phrases = [\"virtual mailbox table\"]\n"
                                "examples = [\"550 5.1.1 user unknown in virtual mailbox table\"]\n";
    bk_classifier *cl = NULL;
    CHECK_RESULT(bk_classifier_new_with_rules((const uint8_t *)rules, sizeof rules - 1, &cl), BK_RESULT_OK);
    bk_limits l = bk_limits_default();
    l.max_message_size = 16 * 1024;
    bk_scanner *s = NULL;
    CHECK_RESULT(bk_scanner_new(cl, &l, &s), BK_RESULT_OK);
    bk_classifier_free(cl);
    char tree[300];
    snprintf(tree, sizeof tree, "%s/tree", root);
    /* Not NUL-terminated where the length ends. */
    char padded[310];
    snprintf(padded, sizeof padded, "%sXYZ", tree);
    CHECK_RESULT(bk_scanner_add_path(s, (const uint8_t *)padded, strlen(tree)), BK_RESULT_OK);
    /* Three parse threads: the reports still come in input order. */
    CHECK_RESULT(bk_scanner_set_threads(s, 3), BK_RESULT_OK);

    bk_policy *p = NULL;
    bk_ledger *ledger = NULL;
    CHECK_RESULT(bk_policy_new_default(&p), BK_RESULT_OK);
    CHECK_RESULT(bk_ledger_open_in_memory(p, &ledger), BK_RESULT_OK);
    bk_policy_free(p);

    /* What the scan must yield, in order: a source suffix and a result. */
    static const struct {
        const char *source;
        bk_result result;
        bk_message_kind kind;
    } want[] = {
        {"/Maildir/cur/1.eml", BK_RESULT_OK, BK_MESSAGE_KIND_BOUNCE},
        {"/Maildir/new/2.eml", BK_RESULT_OK, BK_MESSAGE_KIND_FEEDBACK},
        {"/a_dsn.eml", BK_RESULT_OK, BK_MESSAGE_KIND_BOUNCE},
        {"/b.mbox#1", BK_RESULT_OK, BK_MESSAGE_KIND_BOUNCE},
        {"/b.mbox#2", BK_RESULT_OK, BK_MESSAGE_KIND_FEEDBACK},
        {"/b.mbox#3", BK_RESULT_OK, BK_MESSAGE_KIND_NOT_BOUNCE},
        {"/c_empty.eml", BK_RESULT_PARSE_ERROR, BK_MESSAGE_KIND_NOT_BOUNCE},
        {"/d_big.eml", BK_RESULT_LIMIT_EXCEEDED, BK_MESSAGE_KIND_NOT_BOUNCE},
        {"/e_dangling.eml", BK_RESULT_IO_ERROR, BK_MESSAGE_KIND_NOT_BOUNCE},
    };
    size_t nwant = sizeof want / sizeof want[0];
    bk_batch_stats total = {0};
    size_t i = 0;
    for (;; i++) {
        bk_report *r = (bk_report *)0x1;
        bk_result res = bk_scanner_next(s, &r);
        if (res == BK_RESULT_OK && r == NULL) {
            break;
        }
        if (i >= nwant) {
            CHECK(i < nwant);
            bk_report_free(res == BK_RESULT_OK ? r : NULL);
            continue;
        }
        CHECK_RESULT(res, want[i].result);
        CHECK(ends_with(bk_scanner_source(s), want[i].source));
        if (res != BK_RESULT_OK) {
            CHECK(r == (bk_report *)0x1);
            char msg[512];
            size_t w = 0;
            bk_last_error_message(msg, sizeof msg, &w);
            CHECK(strstr(msg, want[i].source + 1) != NULL); /* the message names the file */
            continue;
        }
        CHECK(bk_report_kind(r) == want[i].kind);
        CHECK(ends_with(bk_report_source(r), want[i].source));
        if (want[i].kind == BK_MESSAGE_KIND_BOUNCE) {
            /* The user rule decided. */
            const bk_classification *c = bk_bounce_classification(bk_report_recipient(r, 0));
            CHECK_STR(bk_classification_rule(c), "t.vip");
        }
        bk_batch_stats st;
        CHECK_RESULT(bk_ledger_record_report(ledger, r, 1741000000, &st), BK_RESULT_OK);
        total.events += st.events;
        total.recorded += st.recorded;
        total.duplicates += st.duplicates;
        total.skipped += st.skipped;
        bk_report_free(r);
    }
    CHECK(i == nwant);
    CHECK(bk_scanner_bytes_read(s) > 0);
    bk_report *end = (bk_report *)0x1;
    CHECK_RESULT(bk_scanner_next(s, &end), BK_RESULT_OK);
    CHECK(end == NULL);
    bk_scanner_free(s);

    /* Three copies of the DSN and two of the complaint: the same bounce
     * imported again counts once. full@ is a delay notice: skipped. */
    CHECK(total.events == 5);
    CHECK(total.recorded == 2);
    CHECK(total.duplicates == 3);
    CHECK(total.skipped == 3);
    bool sup = true;
    static const char gone[] = "gone@example.org";
    CHECK_RESULT(bk_ledger_is_suppressed(ledger, (const uint8_t *)gone, sizeof gone - 1, 1741000000, &sup),
                 BK_RESULT_OK);
    /* The user rule made it filtered (soft): one soft bounce, retry. */
    CHECK(!sup);
    bk_decision *d = NULL;
    CHECK_RESULT(bk_ledger_decide(ledger, (const uint8_t *)gone, sizeof gone - 1, 1741000000, &d), BK_RESULT_OK);
    CHECK(bk_decision_action(d) == BK_ACTION_RETRY);
    bk_decision_free(d);
    static const char reader[] = "reader@example.net";
    CHECK_RESULT(bk_ledger_is_suppressed(ledger, (const uint8_t *)reader, sizeof reader - 1, 1741000000, &sup),
                 BK_RESULT_OK);
    CHECK(sup); /* a complaint unsubscribes */
    bk_ledger_free(ledger);
}

/* Scanning a directory again records nothing new. */
static void test_rescan_is_idempotent(void) {
    bk_policy *p = NULL;
    bk_ledger *ledger = NULL;
    CHECK_RESULT(bk_policy_new_default(&p), BK_RESULT_OK);
    CHECK_RESULT(bk_ledger_open_in_memory(p, &ledger), BK_RESULT_OK);
    bk_policy_free(p);
    uint64_t recorded[2] = {0, 0}, duplicates[2] = {0, 0};
    for (int pass = 0; pass < 2; pass++) {
        bk_scanner *s = NULL;
        CHECK_RESULT(bk_scanner_new(NULL, NULL, &s), BK_RESULT_OK);
        char dir[300];
        snprintf(dir, sizeof dir, "%s/tree/Maildir", root);
        CHECK_RESULT(bk_scanner_add_path(s, (const uint8_t *)dir, strlen(dir)), BK_RESULT_OK);
        bk_report *r = NULL;
        while (bk_scanner_next(s, &r) == BK_RESULT_OK && r != NULL) {
            bk_batch_stats st;
            CHECK_RESULT(bk_ledger_record_report(ledger, r, 1741000000, &st), BK_RESULT_OK);
            recorded[pass] += st.recorded;
            duplicates[pass] += st.duplicates;
            bk_report_free(r);
        }
        bk_scanner_free(s);
    }
    CHECK(recorded[0] == 2 && duplicates[0] == 0);
    CHECK(recorded[1] == 0 && duplicates[1] == 2);
    bk_ledger_totals st;
    CHECK_RESULT(bk_ledger_stats(ledger, 1741000000, &st), BK_RESULT_OK);
    CHECK(st.events == 2);
    CHECK_RESULT(bk_ledger_record_report(ledger, NULL, 0, NULL), BK_RESULT_NULL_PARAMETER);
    bk_ledger_free(ledger);
}

static void scan_corpus(const char *dir, long expected) {
    bk_scanner *s = NULL;
    CHECK_RESULT(bk_scanner_new(NULL, NULL, &s), BK_RESULT_OK);
    CHECK_RESULT(bk_scanner_add_path(s, (const uint8_t *)dir, strlen(dir)), BK_RESULT_OK);
    long reports = 0, errors = 0, recipients = 0;
    for (;;) {
        bk_report *r = NULL;
        bk_result res = bk_scanner_next(s, &r);
        if (res != BK_RESULT_OK) {
            errors++;
            continue;
        }
        if (r == NULL) {
            break;
        }
        reports++;
        recipients += (long)bk_report_recipient_count(r);
        bk_report_free(r);
    }
    bk_scanner_free(s);
    printf("corpus %s: %ld reports, %ld errors, %ld recipients\n", dir, reports, errors, recipients);
    /* An mbox in the corpus holds more than one message. */
    CHECK(reports >= expected);
    CHECK(errors == 0);
    CHECK(recipients >= reports);
}

int main(int argc, char **argv) {
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/bk-scan-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    build_tree();
    test_limits();
    test_scanner_bad_input();
    test_scan_tree();
    test_rescan_is_idempotent();
    if (argc > 2) {
        scan_corpus(argv[1], atol(argv[2]));
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
    return check_done("test_scan");
}
