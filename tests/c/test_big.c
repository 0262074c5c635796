/* Big inputs: a 50 MB buffer (no terminating NUL) through every entry
 * point that takes text, without a crash, a leak or a read past the end.
 *
 * Usage: test_big [MB]   -- MB (default 50) sizes the text given to
 * bk_classify and the message given to bk_parse. The core's rule matching runs at roughly 1 MB/s on long
 * texts, so the valgrind run passes a smaller size; the other calls always
 * get the full 50 MB. */
#include "bouncekit.h"
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BIG (50u * 1024u * 1024u)

static void fill(uint8_t *buf, size_t size, const char *line) {
    size_t n = strlen(line);
    for (size_t off = 0; off < size; off += n) {
        memcpy(buf + off, line, off + n <= size ? n : size - off);
    }
}

static const char *last_message(void) {
    static char msg[512];
    size_t n = 0;
    bk_last_error_message(msg, sizeof msg, &n);
    return msg;
}

int main(int argc, char **argv) {
    size_t classify_size = BIG;
    if (argc > 1) {
        classify_size = (size_t)(atof(argv[1]) * 1024.0 * 1024.0);
        if (classify_size > BIG) {
            classify_size = BIG;
        }
    }
    uint8_t *buf = (uint8_t *)malloc(BIG);
    CHECK(buf != NULL);
    if (buf == NULL) {
        return check_done("test_big");
    }

    /* ASCII diagnostic text, repeated. */
    fill(buf, BIG, "550-5.1.1 The email account that you tried to reach does not exist; more text\r\n");
    bk_classification *c = NULL;
    CHECK_RESULT(bk_classify(buf, classify_size, &c), BK_RESULT_OK);
    CHECK(bk_classification_reason(c) == BK_REASON_USERUNKNOWN);
    CHECK(bk_classification_reply_code(c) == 550);
    bk_classification_free(c);

    bk_found_codes f;
    CHECK_RESULT(bk_find_codes(buf, BIG, &f), BK_RESULT_OK);
    CHECK(f.has_status && f.status.subject == 1 && f.status.detail == 1);

    /* 50 MB of valid UTF-8 where a code or a name is expected: clean errors. */
    bk_explanation *e = NULL;
    CHECK_RESULT(bk_explain(buf, BIG, &e), BK_RESULT_INVALID_CODE);
    CHECK(e == NULL);
    bk_status_code sc;
    CHECK_RESULT(bk_status_code_parse(buf, BIG, &sc), BK_RESULT_INVALID_CODE);
    bk_reason r;
    CHECK_RESULT(bk_reason_from_name(buf, BIG, &r), BK_RESULT_UNKNOWN_NAME);
    /* The error message quotes the input, but only a little of it. */
    CHECK(bk_last_error_length() < 1024);
    bk_classifier *cl = NULL;
    CHECK_RESULT(bk_classifier_new_with_rules(buf, BIG, &cl), BK_RESULT_RULES_ERROR);
    CHECK(cl == NULL);

    /* 50 MB that is not UTF-8: refused where UTF-8 is required. */
    fill(buf, BIG, "550 5.2.2 mailbox full \xff\xfe\xc3\x28 \r\n");
    CHECK_RESULT(bk_classifier_new_with_rules(buf, BIG, &cl), BK_RESULT_INVALID_UTF8);
    CHECK_RESULT(bk_explain(buf, BIG, &e), BK_RESULT_INVALID_UTF8);
    CHECK_RESULT(bk_find_codes(buf, BIG, &f), BK_RESULT_OK);
    CHECK(f.has_status && f.status.subject == 2 && f.status.detail == 2);
    /* ...and classified as bytes (non-UTF-8 text is much slower to match: 64 KB). */
    c = NULL;
    CHECK_RESULT(bk_classify(buf, 64u * 1024u, &c), BK_RESULT_OK);
    CHECK(bk_classification_reason(c) == BK_REASON_MAILBOXFULL);
    bk_classification_free(c);

    /* A raw message: a DSN whose returned original is MB long. */
    static const char head[] =
        "From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        "Final-Recipient: rfc822; nobody@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@example.com\r\nSubject: big\r\n\r\n";
    size_t hl = sizeof head - 1;
    memcpy(buf, head, hl);
    fill(buf + hl, classify_size - hl, "0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n");
    bk_report *report = NULL;
    CHECK_RESULT(bk_parse(buf, classify_size, &report), BK_RESULT_OK);
    CHECK(bk_report_recipient_count(report) == 1);
    CHECK(bk_classification_reason(bk_bounce_classification(bk_report_recipient(report, 0))) == BK_REASON_USERUNKNOWN);
    bk_report_free(report);
    free(buf);

    /* Over the parser's 64 MB limit: refused before any parsing. */
    size_t huge = 65u * 1024u * 1024u;
    buf = (uint8_t *)malloc(huge);
    CHECK(buf != NULL);
    if (buf != NULL) {
        memcpy(buf, head, hl);
        memset(buf + hl, 'x', huge - hl);
        report = NULL;
        CHECK_RESULT(bk_parse(buf, huge, &report), BK_RESULT_LIMIT_EXCEEDED);
        CHECK(report == NULL);
        CHECK(strstr(last_message(), "max_message_size") != NULL);
        free(buf);
    }
    printf("test_big: classified and parsed %.1f MB\n", (double)classify_size / (1024.0 * 1024.0));
    return check_done("test_big");
}
