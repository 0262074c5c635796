/* bk_parse and the bk_report / bk_bounce accessors: a two-recipient DSN,
 * an ARF complaint, a message that is no bounce, every truncation of the
 * DSN (truncated MIME), garbage, NULLs and user rules. */
#include "bouncekit.h"
#include "check.h"
#include "samples.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int contains(const char *hay, const char *needle) {
    return hay != NULL && strstr(hay, needle) != NULL;
}

/* A heap copy without a terminating NUL, so overreads are caught. */
static uint8_t *copy(const char *s, size_t len) {
    uint8_t *p = (uint8_t *)malloc(len ? len : 1);
    memcpy(p, s, len);
    return p;
}

static void test_dsn(void) {
    size_t len = sizeof DSN - 1;
    uint8_t *raw = copy(DSN, len);
    bk_report *r = NULL;
    CHECK_RESULT(bk_parse(raw, len, &r), BK_RESULT_OK);
    free(raw);
    CHECK(r != NULL);
    CHECK(bk_report_kind(r) == BK_MESSAGE_KIND_BOUNCE);
    CHECK_STR(bk_message_kind_name(bk_report_kind(r)), "bounce");
    CHECK(contains(bk_report_reporting_mta(r), "mta.example.net"));
    CHECK(contains(bk_report_from(r), "MAILER-DAEMON@mta.example.net"));
    CHECK_STR(bk_report_subject(r), "Undelivered Mail Returned to Sender");
    CHECK(contains(bk_report_date(r), "2025-03-03"));
    CHECK(contains(bk_report_original_message_id(r), "orig-1@example.com"));
    CHECK(contains(bk_report_original_from(r), "sender@example.com"));
    CHECK(contains(bk_report_original_to(r), "gone@example.org"));
    CHECK_STR(bk_report_original_subject(r), "hello");

    /* Two recipients, never the bystander from the quoted original. */
    CHECK(bk_report_recipient_count(r) == 2);
    const bk_bounce *gone = bk_report_recipient(r, 0);
    const bk_bounce *full = bk_report_recipient(r, 1);
    CHECK(gone != NULL && full != NULL);
    CHECK(bk_report_recipient(r, 2) == NULL);
    CHECK(bk_report_recipient(r, SIZE_MAX) == NULL);

    CHECK_STR(bk_bounce_recipient(gone), "gone@example.org");
    CHECK(contains(bk_bounce_original_recipient(gone), "Gone@Example.org"));
    CHECK(bk_bounce_dsn_action(gone) == BK_DSN_ACTION_FAILED);
    CHECK_STR(bk_dsn_action_name(bk_bounce_dsn_action(gone)), "failed");
    CHECK_STR(bk_bounce_status(gone), "5.1.1");
    CHECK(bk_bounce_reply_code(gone) == 550);
    CHECK(contains(bk_bounce_diagnostic(gone), "User unknown"));
    CHECK(contains(bk_bounce_remote_mta(gone), "mx.example.org"));
    CHECK(bk_bounce_decoded_by(gone) != NULL && bk_bounce_decoded_by(gone)[0] != '\0');
    CHECK(bk_bounce_feedback_type(gone) == NULL);
    (void)bk_bounce_reporting_mta(gone);
    (void)bk_bounce_smtp_command(gone);
    (void)bk_bounce_arrival_date(gone);
    const bk_classification *c = bk_bounce_classification(gone);
    CHECK(c != NULL);
    CHECK(bk_classification_reason(c) == BK_REASON_USERUNKNOWN);
    CHECK(bk_classification_bounce_type(c) == BK_BOUNCE_TYPE_HARD);
    CHECK(bk_classification_action(c) == BK_ACTION_SUPPRESS);
    CHECK_STR(bk_classification_status(c), "5.1.1");

    CHECK_STR(bk_bounce_recipient(full), "full@example.org");
    CHECK(bk_bounce_dsn_action(full) == BK_DSN_ACTION_DELAYED);
    CHECK(contains(bk_bounce_last_attempt_date(full), "2025-03-03"));
    CHECK(bk_classification_reason(bk_bounce_classification(full)) == BK_REASON_MAILBOXFULL);
    CHECK(bk_classification_bounce_type(bk_bounce_classification(full)) == BK_BOUNCE_TYPE_SOFT);
    bk_report_free(r);
}

static void test_arf_and_plain(void) {
    bk_report *r = NULL;
    CHECK_RESULT(bk_parse((const uint8_t *)ARF, sizeof ARF - 1, &r), BK_RESULT_OK);
    CHECK(bk_report_kind(r) == BK_MESSAGE_KIND_FEEDBACK);
    CHECK(bk_report_recipient_count(r) == 1);
    const bk_bounce *b = bk_report_recipient(r, 0);
    CHECK(contains(bk_bounce_recipient(b), "reader@example.net"));
    CHECK_STR(bk_bounce_feedback_type(b), "abuse");
    CHECK(bk_classification_reason(bk_bounce_classification(b)) == BK_REASON_FEEDBACK);
    bk_report_free(r);

    r = NULL;
    CHECK_RESULT(bk_parse((const uint8_t *)PLAIN, sizeof PLAIN - 1, &r), BK_RESULT_OK);
    CHECK(bk_report_kind(r) == BK_MESSAGE_KIND_NOT_BOUNCE);
    CHECK(bk_report_recipient_count(r) == 0);
    CHECK(bk_report_recipient(r, 0) == NULL);
    bk_report_free(r);
}

/* Every prefix of the DSN (a message cut anywhere, MIME boundaries
 * unclosed) parses or is refused cleanly; whatever parses is well-formed. */
static void test_truncated(void) {
    size_t len = sizeof DSN - 1;
    int ok = 0, refused = 0, other = 0;
    for (size_t cut = 0; cut < len; cut += 5) {
        uint8_t *raw = copy(DSN, cut);
        bk_report *r = NULL;
        bk_result res = bk_parse(raw, cut, &r);
        if (res == BK_RESULT_OK) {
            ok++;
            size_t n = bk_report_recipient_count(r);
            for (size_t i = 0; i < n; i++) {
                const bk_bounce *b = bk_report_recipient(r, i);
                if (bk_bounce_recipient(b) == NULL || bk_bounce_classification(b) == NULL ||
                    bk_reason_name(bk_classification_reason(bk_bounce_classification(b))) == NULL) {
                    other++;
                }
            }
            (void)bk_message_kind_name(bk_report_kind(r));
            bk_report_free(r);
        } else if (res == BK_RESULT_PARSE_ERROR) {
            refused++;
            CHECK(r == NULL);
        } else {
            other++;
        }
        free(raw);
    }
    CHECK(other == 0);
    CHECK(ok > 0);
    printf("test_parse: truncations: %d parsed, %d refused as not a message\n", ok, refused);

    /* Cut inside the delivery-status part: the recipient before the cut is kept. */
    size_t cut = (size_t)(strstr(DSN, "Final-Recipient: rfc822; full@") - DSN);
    bk_report *r = NULL;
    CHECK_RESULT(bk_parse((const uint8_t *)DSN, cut, &r), BK_RESULT_OK);
    CHECK(bk_report_recipient_count(r) >= 1);
    CHECK_STR(bk_bounce_recipient(bk_report_recipient(r, 0)), "gone@example.org");
    bk_report_free(r);
}

static void test_bad_input(void) {
    bk_report *sentinel = (bk_report *)(uintptr_t)0x1, *r = sentinel;
    /* Nothing, or no header block: not a message. */
    bk_result res = bk_parse(NULL, 0, &r);
    CHECK(res == BK_RESULT_PARSE_ERROR || res == BK_RESULT_OK);
    if (res == BK_RESULT_OK) {
        bk_report_free(r);
    } else {
        CHECK(r == sentinel);
    }
    r = NULL;
    /* Garbage bytes: parsed or refused, never a crash. */
    uint8_t garbage[4096];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof garbage; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        garbage[i] = (uint8_t)x;
    }
    for (size_t len = 1; len <= sizeof garbage; len *= 2) {
        r = NULL;
        res = bk_parse(garbage, len, &r);
        CHECK(res == BK_RESULT_OK || res == BK_RESULT_PARSE_ERROR);
        bk_report_free(r);
    }
    /* Invalid UTF-8 inside a DSN. */
    char bad[sizeof DSN];
    memcpy(bad, DSN, sizeof DSN);
    char *p = strstr(bad, "User unknown in virtual mailbox table\r\n\r\nFinal");
    p[0] = (char)0xff;
    p[1] = (char)0xc3;
    r = NULL;
    CHECK_RESULT(bk_parse((const uint8_t *)bad, sizeof bad - 1, &r), BK_RESULT_OK);
    CHECK(bk_report_recipient_count(r) == 2);
    bk_report_free(r);

    r = sentinel;
    CHECK_RESULT(bk_parse(NULL, 10, &r), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_parse((const uint8_t *)DSN, sizeof DSN - 1, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_parse(NULL, (const uint8_t *)DSN, sizeof DSN - 1, &r), BK_RESULT_NULL_PARAMETER);
    CHECK(r == sentinel);

    /* Accessors on NULL. */
    CHECK(bk_report_kind(NULL) == BK_MESSAGE_KIND_NOT_BOUNCE);
    CHECK(bk_report_reporting_mta(NULL) == NULL);
    CHECK(bk_report_from(NULL) == NULL);
    CHECK(bk_report_subject(NULL) == NULL);
    CHECK(bk_report_date(NULL) == NULL);
    CHECK(bk_report_original_message_id(NULL) == NULL);
    CHECK(bk_report_original_from(NULL) == NULL);
    CHECK(bk_report_original_to(NULL) == NULL);
    CHECK(bk_report_original_subject(NULL) == NULL);
    CHECK(bk_report_recipient_count(NULL) == 0);
    CHECK(bk_report_recipient(NULL, 0) == NULL);
    CHECK(bk_bounce_classification(NULL) == NULL);
    CHECK(bk_bounce_recipient(NULL) == NULL);
    CHECK(bk_bounce_original_recipient(NULL) == NULL);
    CHECK(bk_bounce_dsn_action(NULL) == BK_DSN_ACTION_FAILED);
    CHECK(bk_bounce_status(NULL) == NULL);
    CHECK(bk_bounce_reply_code(NULL) == 0);
    CHECK(bk_bounce_diagnostic(NULL) == NULL);
    CHECK(bk_bounce_remote_mta(NULL) == NULL);
    CHECK(bk_bounce_reporting_mta(NULL) == NULL);
    CHECK(bk_bounce_smtp_command(NULL) == NULL);
    CHECK(bk_bounce_arrival_date(NULL) == NULL);
    CHECK(bk_bounce_last_attempt_date(NULL) == NULL);
    CHECK(bk_bounce_decoded_by(NULL) == NULL);
    CHECK(bk_bounce_feedback_type(NULL) == NULL);
    bk_report_free(NULL);

    CHECK_STR(bk_message_kind_name(BK_MESSAGE_KIND_NOT_BOUNCE), "not_bounce");
    CHECK_STR(bk_message_kind_name(BK_MESSAGE_KIND_AUTOREPLY), "autoreply");
    CHECK(bk_message_kind_name(7) == NULL);
    CHECK_STR(bk_dsn_action_name(BK_DSN_ACTION_EXPANDED), "expanded");
    CHECK(bk_dsn_action_name(5) == NULL);
}

static void test_user_rules(void) {
    static const char rules[] =
        "[[rule]]\nid = \"mine.virtual\"\nreason = \"filtered\"\npriority = 100\n"
        "phrases = [\"virtual mailbox table\"]\nexamples = [\"550 5.1.1 no such user in virtual mailbox table\"]\n";
    bk_classifier *cl = NULL;
    CHECK_RESULT(bk_classifier_new_with_rules((const uint8_t *)rules, sizeof rules - 1, &cl), BK_RESULT_OK);
    bk_report *r = NULL;
    CHECK_RESULT(bk_classifier_parse(cl, (const uint8_t *)DSN, sizeof DSN - 1, &r), BK_RESULT_OK);
    const bk_classification *c = bk_bounce_classification(bk_report_recipient(r, 0));
    CHECK(bk_classification_reason(c) == BK_REASON_FILTERED);
    CHECK_STR(bk_classification_rule(c), "mine.virtual");
    bk_report_free(r);
    r = NULL;
    CHECK_RESULT(bk_classifier_parse(cl, (const uint8_t *)DSN, sizeof DSN - 1, NULL), BK_RESULT_NULL_PARAMETER);
    bk_classifier_free(cl);
}

int main(void) {
    test_dsn();
    test_arf_and_plain();
    test_truncated();
    test_bad_input();
    test_user_rules();
    return check_done("test_parse");
}
