/* Hostile input at the C front door: NULL pointers and zero lengths for
 * every pointer argument, invalid UTF-8, NUL bytes inside inputs, a message
 * over the size limit, deep MIME nesting, many parts, bad limits, bad rules
 * text, bad policy TOML, and calls made after a call failed. Every call must
 * give its documented result code, leave `*out` alone on failure, and leak
 * nothing. Run plain, under valgrind and under ASan/UBSan by scripts/test-c.sh. */
#include "bouncekit.h"
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TEXT(s) (const uint8_t *)(s), strlen(s)
#define BYTES(a) (const uint8_t *)(a), sizeof(a) - 1

/* A pointer that is never dereferenced: a handle's out slot must stay as it was. */
#define SENTINEL ((void *)&sentinel_target)
static int sentinel_target;

static const char DSN[] =
    "From: MAILER-DAEMON@mx.example.org\r\n"
    "To: sender@example.com\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "delivery failed\r\n"
    "--b\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; mx.example.org\r\n"
    "\r\n"
    "Final-Recipient: rfc822; kijitora@example.jp\r\n"
    "Action: failed\r\n"
    "Status: 5.1.1\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
    "--b--\r\n";

static const char RULES[] =
    "[[rule]]\n"
    "id = \"hostile.vip\"\n"
    "reason = \"filtered\"\n"
    "priority = 100\n"
    "phrases = [\"vip only\"]\n"
    "examples = [\"550 vip only\"]\n";

static size_t error_length_now(void) { return bk_last_error_length(); }

/* The last error's text (static buffer, overwritten by the next call). */
static const char *last_error(void) {
    static char buf[1024];
    size_t written = 0;
    if (bk_last_error_message(buf, sizeof buf, &written) != BK_RESULT_OK) {
        return "(bk_last_error_message failed)";
    }
    return buf;
}

/* Checks that the last error names `what` (a parameter or limit). */
#define CHECK_ERROR_NAMES(what) CHECK(strstr(last_error(), (what)) != NULL)

/* A message nested `depth` multiparts deep, each level with its own boundary. */
static char *nested_message(size_t depth, size_t *len) {
    size_t cap = 256 + depth * 120;
    char *p = (char *)malloc(cap);
    size_t n = (size_t)snprintf(p, cap, "From: a@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
                                        "Content-Type: multipart/mixed; boundary=\"d0\"\r\n\r\n");
    for (size_t i = 1; i < depth; i++) {
        n += (size_t)snprintf(p + n, cap - n, "--d%zu\r\nContent-Type: multipart/mixed; boundary=\"d%zu\"\r\n\r\n",
                              i - 1, i);
    }
    n += (size_t)snprintf(p + n, cap - n, "--d%zu\r\nContent-Type: text/plain\r\n\r\nbottom\r\n", depth - 1);
    *len = n;
    return p;
}

/* A message with `parts` sibling text parts. */
static char *many_parts_message(size_t parts, size_t *len) {
    size_t cap = 256 + parts * 48;
    char *p = (char *)malloc(cap);
    size_t n = (size_t)snprintf(p, cap, "From: a@example.com\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
                                        "Content-Type: multipart/mixed; boundary=\"p\"\r\n\r\n");
    for (size_t i = 0; i < parts; i++) {
        n += (size_t)snprintf(p + n, cap - n, "--p\r\nContent-Type: text/plain\r\n\r\npart %zu\r\n", i);
    }
    n += (size_t)snprintf(p + n, cap - n, "--p--\r\n");
    *len = n;
    return p;
}

/* NULL and zero-length for every pointer argument of the classify family. */
static void test_classify_nulls(void) {
    bk_classification *c = SENTINEL;
    CHECK_RESULT(bk_classify(NULL, 3, &c), BK_RESULT_NULL_PARAMETER);
    CHECK(c == SENTINEL);
    CHECK_ERROR_NAMES("text");
    CHECK_RESULT(bk_classify(TEXT("550"), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_ERROR_NAMES("out");
    /* Zero length: any pointer, NULL included, is the empty text. */
    c = NULL;
    CHECK_RESULT(bk_classify(NULL, 0, &c), BK_RESULT_OK);
    CHECK(c != NULL && bk_classification_status(c) == NULL);
    bk_classification_free(c);
    c = NULL;
    CHECK_RESULT(bk_classify((const uint8_t *)SENTINEL, 0, &c), BK_RESULT_OK);
    bk_classification_free(c);
    /* A length past PTRDIFF_MAX is refused before anything is read. */
    c = SENTINEL;
    CHECK_RESULT(bk_classify((const uint8_t *)"x", SIZE_MAX, &c), BK_RESULT_INVALID_PARAMETER);
    CHECK(c == SENTINEL);

    CHECK_RESULT(bk_classifier_new(NULL), BK_RESULT_NULL_PARAMETER);
    bk_classifier *cl = NULL;
    CHECK_RESULT(bk_classifier_new(&cl), BK_RESULT_OK);
    c = SENTINEL;
    CHECK_RESULT(bk_classifier_classify(NULL, TEXT("550"), &c), BK_RESULT_NULL_PARAMETER);
    CHECK_ERROR_NAMES("classifier");
    CHECK_RESULT(bk_classifier_classify(cl, NULL, 4, &c), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_classify(cl, TEXT("550"), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(c == SENTINEL);
    c = NULL;
    CHECK_RESULT(bk_classifier_classify(cl, NULL, 0, &c), BK_RESULT_OK);
    bk_classification_free(c);

    bk_found_codes hints;
    memset(&hints, 0, sizeof hints);
    c = SENTINEL;
    CHECK_RESULT(bk_classifier_classify_with(NULL, TEXT("550"), &hints, &c), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_classify_with(cl, NULL, 1, &hints, &c), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_classify_with(cl, TEXT("550"), &hints, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(c == SENTINEL);
    /* NULL hints means none. */
    c = NULL;
    CHECK_RESULT(bk_classifier_classify_with(cl, TEXT("550 5.1.1 user unknown"), NULL, &c), BK_RESULT_OK);
    CHECK(bk_classification_reason(c) == BK_REASON_USERUNKNOWN);
    bk_classification_free(c);
    bk_classifier_free(cl);
}

static void test_codes_nulls(void) {
    bk_status_code sc;
    memset(&sc, 0, sizeof sc);
    CHECK_RESULT(bk_status_code_parse(NULL, 5, &sc), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_status_code_parse(TEXT("5.1.1"), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_status_code_parse(NULL, 0, &sc), BK_RESULT_INVALID_CODE);
    CHECK_RESULT(bk_status_code_parse(BYTES("5.1.1\0"), &sc), BK_RESULT_INVALID_CODE);
    CHECK_RESULT(bk_status_code_parse(BYTES("5.\xff.1"), &sc), BK_RESULT_INVALID_UTF8);

    bk_found_codes f;
    CHECK_RESULT(bk_find_codes(NULL, 9, &f), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_find_codes(TEXT("550"), NULL), BK_RESULT_NULL_PARAMETER);
    memset(&f, 0xA5, sizeof f);
    CHECK_RESULT(bk_find_codes(NULL, 0, &f), BK_RESULT_OK);
    CHECK(!f.has_status && f.reply_code == 0);
    /* Invalid UTF-8 and NUL bytes around the codes do not hide them. */
    CHECK_RESULT(bk_find_codes(BYTES("\xff\xfe\0 550 5.1.1 \xc3\0"), &f), BK_RESULT_OK);
    CHECK(f.has_status && f.status.class_digit == 5 && f.status.subject == 1 && f.status.detail == 1);
    CHECK(f.reply_code == 550);

    bk_explanation *e = SENTINEL;
    CHECK_RESULT(bk_explain(NULL, 5, &e), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_explain(TEXT("5.1.1"), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_explain(NULL, 0, &e), BK_RESULT_INVALID_CODE);
    CHECK_RESULT(bk_explain(BYTES("5.1.1\0"), &e), BK_RESULT_INVALID_CODE);
    CHECK_RESULT(bk_explain(BYTES("\xc3\x28"), &e), BK_RESULT_INVALID_UTF8);
    CHECK(e == SENTINEL);

    bk_reason r = BK_REASON_UNDEFINED;
    CHECK_RESULT(bk_reason_from_name(NULL, 4, &r), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_reason_from_name(TEXT("userunknown"), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_reason_from_name(NULL, 0, &r), BK_RESULT_UNKNOWN_NAME);
    CHECK_RESULT(bk_reason_from_name(BYTES("userunknown\0"), &r), BK_RESULT_UNKNOWN_NAME);
    CHECK_RESULT(bk_reason_from_name(BYTES("user\xffunknown"), &r), BK_RESULT_INVALID_UTF8);
    CHECK(r == BK_REASON_UNDEFINED);

    bk_reason_info info;
    CHECK_RESULT(bk_reason_get_info(BK_REASON_USERUNKNOWN, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_reason_get_info(UINT32_MAX, &info), BK_RESULT_INVALID_PARAMETER);
}

static void test_last_error_nulls(void) {
    char buf[8];
    size_t written = 99;
    CHECK_RESULT(bk_classify(NULL, 1, NULL), BK_RESULT_NULL_PARAMETER);
    size_t n = error_length_now();
    CHECK(n > 0);
    CHECK(bk_last_error_message(NULL, 8, &written) == BK_RESULT_NULL_PARAMETER);
    CHECK(bk_last_error_message(buf, 8, NULL) == BK_RESULT_NULL_PARAMETER);
    CHECK(bk_last_error_message(buf, 0, &written) == BK_RESULT_INSUFFICIENT_SIZE);
    /* A short buffer is filled, NUL-terminated, and says how much it took. */
    CHECK(bk_last_error_message(buf, sizeof buf, &written) == BK_RESULT_OK);
    CHECK(written == sizeof buf - 1 && buf[sizeof buf - 1] == '\0');
    /* Reading the message leaves it in place. */
    CHECK(error_length_now() == n);
}

static void test_parse_nulls_and_bytes(void) {
    bk_report *r = SENTINEL;
    CHECK_RESULT(bk_parse(NULL, 10, &r), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_parse(BYTES(DSN), NULL), BK_RESULT_NULL_PARAMETER);
    /* The empty input has no header block: not a message. */
    CHECK_RESULT(bk_parse(NULL, 0, &r), BK_RESULT_PARSE_ERROR);
    CHECK(r == SENTINEL);

    bk_classifier *cl = NULL;
    CHECK_RESULT(bk_classifier_new(&cl), BK_RESULT_OK);
    CHECK_RESULT(bk_classifier_parse(NULL, BYTES(DSN), &r), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_parse(cl, NULL, 3, &r), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_parse(cl, BYTES(DSN), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_parse(cl, NULL, 0, &r), BK_RESULT_PARSE_ERROR);
    bk_limits lim = bk_limits_default();
    CHECK_RESULT(bk_classifier_parse_with_limits(NULL, &lim, BYTES(DSN), &r), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, NULL, BYTES(DSN), &r), BK_RESULT_NULL_PARAMETER);
    CHECK_ERROR_NAMES("limits");
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &lim, NULL, 3, &r), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &lim, BYTES(DSN), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(r == SENTINEL);

    /* NUL bytes and invalid UTF-8 inside a message: it still parses, and the
     * strings handed out are valid C strings (no embedded NUL cut them short
     * in a way that reads past their end under ASan/valgrind). */
    static const char dirty[] =
        "From: MAILER-DAEMON@mx.example.org\r\n"
        "Subject: Undeliver\xff\xfe\0ed\r\n"
        "\r\n"
        "The following address failed:\r\n"
        "  <kijitora\0@example.jp>\r\n"
        "  550 5.1.1 user \xc3\x28unknown\r\n";
    r = NULL;
    CHECK_RESULT(bk_parse(BYTES(dirty), &r), BK_RESULT_OK);
    const char *subject = bk_report_subject(r);
    CHECK(subject != NULL && strlen(subject) > 0);
    for (size_t i = 0; i < bk_report_recipient_count(r); i++) {
        const bk_bounce *b = bk_report_recipient(r, i);
        CHECK(b != NULL);
        const char *d = bk_bounce_diagnostic(b);
        if (d != NULL) {
            CHECK(strlen(d) < sizeof dirty);
        }
    }
    bk_report_free(r);

    /* Random-looking binary: a typed answer, never a crash. */
    uint8_t noise[4096];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof noise; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise[i] = (uint8_t)x;
    }
    r = NULL;
    bk_result res = bk_parse(noise, sizeof noise, &r);
    CHECK(res == BK_RESULT_OK || res == BK_RESULT_PARSE_ERROR);
    CHECK((res == BK_RESULT_OK) == (r != NULL));
    bk_report_free(r);
    bk_classifier_free(cl);
}

/* Each limit, exceeded, gives BK_RESULT_LIMIT_EXCEEDED naming that limit;
 * a zero limit is a bad parameter. */
static void test_limits(void) {
    bk_classifier *cl = NULL;
    CHECK_RESULT(bk_classifier_new(&cl), BK_RESULT_OK);
    bk_report *r = SENTINEL;

    /* Over the size limit: refused before parsing. */
    bk_limits lim = bk_limits_default();
    lim.max_message_size = 100;
    CHECK(sizeof DSN - 1 > 100);
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &lim, BYTES(DSN), &r), BK_RESULT_LIMIT_EXCEEDED);
    CHECK_ERROR_NAMES("max_message_size");
    CHECK(r == SENTINEL);
    /* The default size limit (64 MB) with bk_parse: a buffer one byte over it. */
    bk_limits def = bk_limits_default();
    size_t big_len = def.max_message_size + 1;
    uint8_t *big = (uint8_t *)malloc(big_len);
    CHECK(big != NULL);
    if (big != NULL) {
        memset(big, 'a', big_len);
        memcpy(big, "Subject: big\r\n\r\n", 16);
        CHECK_RESULT(bk_parse(big, big_len, &r), BK_RESULT_LIMIT_EXCEEDED);
        CHECK_ERROR_NAMES("max_message_size");
        CHECK(r == SENTINEL);
        free(big);
    }

    /* MIME nesting 1,000 deep: over the default depth of 32. */
    size_t len = 0;
    char *deep = nested_message(1000, &len);
    CHECK_RESULT(bk_parse((const uint8_t *)deep, len, &r), BK_RESULT_LIMIT_EXCEEDED);
    CHECK_ERROR_NAMES("max_mime_depth");
    CHECK(r == SENTINEL);
    free(deep);
    /* 10,000 deep is also 10,000 parts, and the part count is checked
     * before the depth (docs/limits.md). */
    deep = nested_message(10000, &len);
    CHECK_RESULT(bk_parse((const uint8_t *)deep, len, &r), BK_RESULT_LIMIT_EXCEEDED);
    CHECK_ERROR_NAMES("max_parts");
    CHECK(r == SENTINEL);
    /* Even a caller's limit far above the ceiling does not let it through. */
    lim = bk_limits_default();
    lim.max_mime_depth = SIZE_MAX;
    lim.max_parts = SIZE_MAX;
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &lim, (const uint8_t *)deep, len, &r),
                 BK_RESULT_LIMIT_EXCEEDED);
    CHECK_ERROR_NAMES("max_mime_depth");
    free(deep);
    /* A shallow nest within a tight depth limit parses. */
    deep = nested_message(3, &len);
    lim = bk_limits_default();
    lim.max_mime_depth = 8;
    r = NULL;
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &lim, (const uint8_t *)deep, len, &r), BK_RESULT_OK);
    bk_report_free(r);
    lim.max_mime_depth = 2;
    r = SENTINEL;
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &lim, (const uint8_t *)deep, len, &r),
                 BK_RESULT_LIMIT_EXCEEDED);
    CHECK(r == SENTINEL);
    free(deep);

    /* 5,000 parts: over the default 2,000. */
    char *parts = many_parts_message(5000, &len);
    CHECK_RESULT(bk_parse((const uint8_t *)parts, len, &r), BK_RESULT_LIMIT_EXCEEDED);
    CHECK_ERROR_NAMES("max_parts");
    lim = bk_limits_default();
    lim.max_parts = 10000;
    r = NULL;
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &lim, (const uint8_t *)parts, len, &r), BK_RESULT_OK);
    bk_report_free(r);
    free(parts);

    /* Recipients: one report with one recipient, limit 0 is refused as a
     * parameter, never as "exceeded". */
    lim = bk_limits_default();
    lim.max_recipients = 0;
    r = SENTINEL;
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &lim, BYTES(DSN), &r), BK_RESULT_INVALID_PARAMETER);
    CHECK_ERROR_NAMES("max_recipients");
    const char *fields[] = {"max_message_size", "max_mime_depth", "max_parts", "max_recipients",
                            "max_diagnostic_len"};
    for (size_t i = 0; i < 5; i++) {
        lim = bk_limits_default();
        size_t *field = i == 0   ? &lim.max_message_size
                        : i == 1 ? &lim.max_mime_depth
                        : i == 2 ? &lim.max_parts
                        : i == 3 ? &lim.max_recipients
                                 : &lim.max_diagnostic_len;
        *field = 0;
        CHECK_RESULT(bk_classifier_parse_with_limits(cl, &lim, BYTES(DSN), &r), BK_RESULT_INVALID_PARAMETER);
        CHECK_ERROR_NAMES(fields[i]);
        bk_scanner *s = SENTINEL;
        CHECK_RESULT(bk_scanner_new(NULL, &lim, &s), BK_RESULT_INVALID_PARAMETER);
        CHECK(s == SENTINEL);
    }
    CHECK(r == SENTINEL);
    /* A diagnostic limit of one byte cuts, it does not fail. */
    lim = bk_limits_default();
    lim.max_diagnostic_len = 1;
    r = NULL;
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &lim, BYTES(DSN), &r), BK_RESULT_OK);
    CHECK(bk_report_recipient_count(r) == 1);
    const char *d = bk_bounce_diagnostic(bk_report_recipient(r, 0));
    CHECK(d == NULL || strlen(d) <= 1);
    bk_report_free(r);
    bk_classifier_free(cl);
}

static void test_bad_rules(void) {
    bk_classifier *cl = SENTINEL;
    CHECK_RESULT(bk_classifier_new_with_rules(NULL, 5, &cl), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_new_with_rules(BYTES(RULES), NULL), BK_RESULT_NULL_PARAMETER);
    static const char *bad[] = {
        "[[rule]\nid = \"x\"",                                  /* TOML syntax */
        "[[rule]]\nid = \"x\"\nreason = \"nosuchreason\"\nphrases = [\"a\"]\nexamples = [\"a\"]\n",
        "[[rule]]\nid = \"x\"\nreason = \"filtered\"\npatterns = [\"(unclosed\"]\nexamples = [\"a\"]\n",
        "[[rule]]\nid = \"x\"\nreason = \"filtered\"\npriority = \"high\"\nphrases = [\"a\"]\n",
        "[[rule]]\nid = \"x\"\nreason = \"filtered\"\nphrases = [\"a\"]\nexamples = [\"a\"]\n"
        "[[rule]]\nid = \"x\"\nreason = \"filtered\"\nphrases = [\"b\"]\nexamples = [\"b\"]\n", /* duplicate id */
        "[[rule]]\nid = \"x\"\nreason = \"filtered\"\nphrases = [\"a\"]\nexamples = [\"a\"]\nsurprise = 1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cl = SENTINEL;
        CHECK_RESULT(bk_classifier_new_with_rules(TEXT(bad[i]), &cl), BK_RESULT_RULES_ERROR);
        CHECK(cl == SENTINEL);
        CHECK(error_length_now() > 0);
    }
    /* Invalid UTF-8 and a NUL byte inside the rules text. */
    static const char not_utf8[] = "[[rule]]\nid = \"\xff\"\n";
    CHECK_RESULT(bk_classifier_new_with_rules(BYTES(not_utf8), &cl), BK_RESULT_INVALID_UTF8);
    static const char with_nul[] = "[[rule]]\nid = \"a\0b\"\nreason = \"filtered\"\nphrases = [\"a\"]\n";
    CHECK_RESULT(bk_classifier_new_with_rules(BYTES(with_nul), &cl), BK_RESULT_RULES_ERROR);
    CHECK(cl == SENTINEL);
}

static void test_bad_policy(void) {
    bk_policy *p = SENTINEL;
    CHECK_RESULT(bk_policy_new_default(NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_policy_from_toml(NULL, 4, &p), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_policy_from_toml(TEXT("[soft]\n"), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_policy_from_file(NULL, 4, &p), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_policy_from_file(TEXT("/nonexistent/policy.toml"), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_policy_from_file(TEXT("/nonexistent/policy.toml"), &p), BK_RESULT_IO_ERROR);
    static const char *bad[] = {
        "[soft\n",                        /* TOML syntax */
        "[soft]\nthreshold = \"three\"\n", /* wrong type */
        "[suppress]\nreasons = [\"blocked\"]\n[ignore]\nreasons = [\"blocked\"]\n", /* contradicts itself */
        "[soft]\nthreshold = 3\nwindow = \"0s\"\n",
        "[soft]\nwindow_days = -5\n",
        "[soft]\nthreshold = 99999999999999999999\n",
        "surprise = true\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = SENTINEL;
        CHECK_RESULT(bk_policy_from_toml(TEXT(bad[i]), &p), BK_RESULT_POLICY_ERROR);
        CHECK(p == SENTINEL);
    }
    static const char not_utf8[] = "[soft]\n# \xff\n";
    CHECK_RESULT(bk_policy_from_toml(BYTES(not_utf8), &p), BK_RESULT_INVALID_UTF8);
    static const char with_nul[] = "[soft]\nthreshold = 3\0\n";
    CHECK_RESULT(bk_policy_from_toml(BYTES(with_nul), &p), BK_RESULT_POLICY_ERROR);
    CHECK(p == SENTINEL);

    p = NULL;
    CHECK_RESULT(bk_policy_new_default(&p), BK_RESULT_OK);
    bk_history_event cur = {1700000000, BK_REASON_MAILBOXFULL, BK_BOUNCE_TYPE_SOFT};
    bk_decision *d = SENTINEL;
    CHECK_RESULT(bk_policy_decide(NULL, cur, NULL, 0, &d), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_policy_decide(p, cur, NULL, 2, &d), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_policy_decide(p, cur, NULL, 0, NULL), BK_RESULT_NULL_PARAMETER);
    bk_history_event bad_ev = {1700000000, UINT32_MAX, BK_BOUNCE_TYPE_SOFT};
    CHECK_RESULT(bk_policy_decide(p, bad_ev, NULL, 0, &d), BK_RESULT_INVALID_PARAMETER);
    bad_ev.reason = BK_REASON_MAILBOXFULL;
    bad_ev.bounce_type = 77;
    CHECK_RESULT(bk_policy_decide(p, cur, &bad_ev, 1, &d), BK_RESULT_INVALID_PARAMETER);
    CHECK(d == SENTINEL);
    d = NULL;
    CHECK_RESULT(bk_policy_decide(p, cur, NULL, 0, &d), BK_RESULT_OK);
    CHECK(bk_decision_why(d) != NULL);
    bk_decision_free(d);
    /* Decision accessors on NULL give their defaults. */
    uint64_t secs = 7;
    CHECK(bk_decision_action(NULL) == BK_ACTION_IGNORE);
    CHECK(!bk_decision_retry_after(NULL, &secs) && secs == 7);
    CHECK(bk_decision_why(NULL) == NULL);
    bk_policy_free(p);
    bk_policy_free(NULL);
    bk_decision_free(NULL);
}

static void test_ledger_nulls(void) {
    bk_policy *p = NULL;
    CHECK_RESULT(bk_policy_new_default(&p), BK_RESULT_OK);
    bk_ledger *l = SENTINEL;
    CHECK_RESULT(bk_ledger_open(NULL, 5, p, &l), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_open(TEXT("x.db"), NULL, &l), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_open(TEXT("x.db"), p, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_open(NULL, 0, p, &l), BK_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(bk_ledger_open_in_memory(NULL, &l), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_open_in_memory(p, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(l == SENTINEL);
    l = NULL;
    CHECK_RESULT(bk_ledger_open_in_memory(p, &l), BK_RESULT_OK);

    bk_event ev;
    memset(&ev, 0, sizeof ev);
    ev.recipient = (const uint8_t *)"kijitora@example.jp";
    ev.recipient_len = strlen("kijitora@example.jp");
    ev.time = 1700000000;
    ev.reason = BK_REASON_USERUNKNOWN;
    ev.bounce_type = BK_BOUNCE_TYPE_HARD;
    bk_batch_stats st;
    CHECK_RESULT(bk_ledger_record(NULL, &ev, 1, &st), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_record(l, NULL, 1, &st), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_record(l, NULL, 0, NULL), BK_RESULT_OK);
    /* A field pointer NULL with a length, invalid UTF-8, a NUL inside the address. */
    bk_event bad = ev;
    bad.recipient = NULL;
    CHECK_RESULT(bk_ledger_record(l, &bad, 1, NULL), BK_RESULT_NULL_PARAMETER);
    bad = ev;
    bad.recipient = (const uint8_t *)"kiji\xfftora@example.jp";
    bad.recipient_len = strlen((const char *)bad.recipient);
    CHECK_RESULT(bk_ledger_record(l, &bad, 1, NULL), BK_RESULT_INVALID_UTF8);
    static const char nul_addr[] = "kiji\0tora@example.jp";
    bad.recipient = (const uint8_t *)nul_addr;
    bad.recipient_len = sizeof nul_addr - 1;
    CHECK_RESULT(bk_ledger_record(l, &bad, 1, NULL), BK_RESULT_INVALID_EVENT);
    bad = ev;
    bad.recipient_len = 0;
    CHECK_RESULT(bk_ledger_record(l, &bad, 1, NULL), BK_RESULT_INVALID_EVENT);
    /* One bad event refuses the batch: nothing was written. */
    bk_event two[2] = {ev, bad};
    CHECK_RESULT(bk_ledger_record(l, two, 2, NULL), BK_RESULT_INVALID_EVENT);
    bool flag = true;
    CHECK_RESULT(bk_ledger_is_suppressed(l, TEXT("kijitora@example.jp"), 1700000001, &flag), BK_RESULT_OK);
    CHECK(!flag);

    CHECK_RESULT(bk_ledger_record_report(NULL, NULL, 0, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_record_report(l, NULL, 0, NULL), BK_RESULT_NULL_PARAMETER);
    bk_decision *d = SENTINEL;
    CHECK_RESULT(bk_ledger_decide(NULL, TEXT("a@b.c"), 0, &d), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_decide(l, NULL, 5, 0, &d), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_decide(l, TEXT("a@b.c"), 0, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_decide(l, NULL, 0, 0, &d), BK_RESULT_INVALID_EVENT);
    CHECK_RESULT(bk_ledger_decide(l, BYTES("a@b.c\xff"), 0, &d), BK_RESULT_INVALID_UTF8);
    CHECK(d == SENTINEL);
    CHECK_RESULT(bk_ledger_is_suppressed(NULL, TEXT("a@b.c"), 0, &flag), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_is_suppressed(l, NULL, 5, 0, &flag), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_is_suppressed(l, TEXT("a@b.c"), 0, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_release(NULL, TEXT("a@b.c"), 0, &flag), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_release(l, NULL, 5, 0, &flag), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_release(l, TEXT("a@b.c"), 0, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_release_domain(NULL, TEXT("b.c"), 0, &flag), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_release_domain(l, NULL, 3, 0, &flag), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_release_domain(l, TEXT("b.c"), 0, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_release_domain(l, NULL, 0, 0, &flag), BK_RESULT_INVALID_PARAMETER);
    bk_string *s = SENTINEL;
    size_t count = 0;
    CHECK_RESULT(bk_ledger_export(NULL, BK_EXPORT_FORMAT_CSV, 0, &s, &count), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_export(l, BK_EXPORT_FORMAT_CSV, 0, NULL, &count), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_export(l, 99, 0, &s, &count), BK_RESULT_INVALID_PARAMETER);
    bk_ledger_totals totals;
    CHECK_RESULT(bk_ledger_stats(NULL, 0, &totals), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_stats(l, 0, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_domains(NULL, 0, 0, &s), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_domains(l, 0, 0, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(s == SENTINEL);
    CHECK(bk_string_data(NULL) == NULL && bk_string_len(NULL) == 0);
    bk_string_free(NULL);
    bk_ledger_free(l);
    bk_ledger_free(NULL);
    bk_policy_free(p);
}

static void test_scanner_nulls(void) {
    bk_scanner *s = SENTINEL;
    CHECK_RESULT(bk_scanner_new(NULL, NULL, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(s == SENTINEL);
    s = NULL;
    CHECK_RESULT(bk_scanner_new(NULL, NULL, &s), BK_RESULT_OK);
    CHECK_RESULT(bk_scanner_add_path(NULL, TEXT("/tmp")), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_scanner_add_path(s, NULL, 4), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_scanner_add_path(s, NULL, 0), BK_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(bk_scanner_add_path(s, BYTES("/nonexistent/\xff\x01mbox")), BK_RESULT_IO_ERROR);
    /* No file name holds a NUL byte. */
    CHECK_RESULT(bk_scanner_add_path(s, BYTES("/tmp/\0mbox")), BK_RESULT_INVALID_PARAMETER);
    CHECK_ERROR_NAMES("NUL");
    bk_report *r = SENTINEL;
    CHECK_RESULT(bk_scanner_next(NULL, &r), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_scanner_next(s, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(r == SENTINEL);
    /* No inputs: the end straight away. */
    CHECK_RESULT(bk_scanner_next(s, &r), BK_RESULT_OK);
    CHECK(r == NULL);
    CHECK(bk_scanner_source(NULL) == NULL && bk_scanner_bytes_read(NULL) == 0);
    bk_scanner_free(s);
    bk_scanner_free(NULL);
}

/* A failed call leaves every handle usable: the next call on it works and
 * clears the last error. */
static void test_use_after_error(void) {
    bk_classifier *cl = NULL;
    CHECK_RESULT(bk_classifier_new_with_rules(BYTES(RULES), &cl), BK_RESULT_OK);
    bk_classification *c = SENTINEL;
    CHECK_RESULT(bk_classifier_classify(cl, NULL, 9, &c), BK_RESULT_NULL_PARAMETER);
    CHECK(error_length_now() > 0);
    c = NULL;
    CHECK_RESULT(bk_classifier_classify(cl, TEXT("550 vip only"), &c), BK_RESULT_OK);
    CHECK(error_length_now() == 0);
    CHECK(bk_classification_reason(c) == BK_REASON_FILTERED);
    bk_classification_free(c);

    bk_report *r = SENTINEL;
    bk_limits lim = bk_limits_default();
    lim.max_message_size = 10;
    CHECK_RESULT(bk_classifier_parse_with_limits(cl, &lim, BYTES(DSN), &r), BK_RESULT_LIMIT_EXCEEDED);
    r = NULL;
    CHECK_RESULT(bk_classifier_parse(cl, BYTES(DSN), &r), BK_RESULT_OK);
    CHECK(bk_report_recipient_count(r) == 1);
    bk_report_free(r);

    /* A scanner that hit a missing file and a message over its limit goes on. */
    bk_scanner *s = NULL;
    lim = bk_limits_default();
    lim.max_message_size = 64;
    CHECK_RESULT(bk_scanner_new(cl, &lim, &s), BK_RESULT_OK);
    CHECK_RESULT(bk_scanner_add_path(s, TEXT("/nonexistent/mail")), BK_RESULT_IO_ERROR);
    CHECK_RESULT(bk_scanner_add_path(s, TEXT("tests/fixtures")), BK_RESULT_OK);
    size_t errors = 0, reports = 0;
    for (int i = 0; i < 10000; i++) {
        r = NULL;
        bk_result res = bk_scanner_next(s, &r);
        if (res == BK_RESULT_OK && r == NULL) {
            break;
        }
        if (res == BK_RESULT_OK) {
            reports++;
            bk_report_free(r);
        } else {
            CHECK(res == BK_RESULT_LIMIT_EXCEEDED);
            CHECK(r == NULL);
            errors++;
        }
    }
    CHECK(errors > 0);
    bk_scanner_free(s);
    /* The classifier freed after a failed call: nothing leaks (valgrind/ASan). */
    bk_classifier_free(cl);
    (void)reports;

    /* After a panic caught at the boundary the library still answers. */
    CHECK(bk_test_panic(NULL) == BK_RESULT_PANIC);
    c = NULL;
    CHECK_RESULT(bk_classify(TEXT("552 5.2.2 mailbox full"), &c), BK_RESULT_OK);
    CHECK(bk_classification_reason(c) == BK_REASON_MAILBOXFULL);
    bk_classification_free(c);
}

int main(void) {
    test_classify_nulls();
    test_codes_nulls();
    test_last_error_nulls();
    test_parse_nulls_and_bytes();
    test_limits();
    test_bad_rules();
    test_bad_policy();
    test_ledger_nulls();
    test_scanner_nulls();
    test_use_after_error();
    return check_done("test_hostile");
}
