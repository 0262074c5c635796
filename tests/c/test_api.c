/* Exercises every function of the C API, with good and bad input: NULL
 * pointers, zero lengths, invalid UTF-8, unterminated buffers, unknown
 * enum values, out-of-range indexes. Run plain, under valgrind and under
 * ASan/UBSan by scripts/test-c.sh. */
#include "bouncekit.h"
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TEXT(s) (const uint8_t *)(s), strlen(s)

/* A heap copy of s with no terminating NUL, so that any read past `len`
 * is caught by valgrind and ASan. */
static uint8_t *unterminated(const char *s, size_t *len) {
    *len = strlen(s);
    uint8_t *p = (uint8_t *)malloc(*len ? *len : 1);
    memcpy(p, s, *len);
    return p;
}

static const char *last_error(void) {
    static char buf[1024];
    size_t written = 0;
    if (bk_last_error_message(buf, sizeof buf, &written) != BK_RESULT_OK) {
        return "(bk_last_error_message failed)";
    }
    return buf;
}

static void test_version(void) {
    CHECK_STR(bk_version(), BK_VERSION_STRING);
    char expected[64];
    snprintf(expected, sizeof expected, "%d.%d.%d", BK_VERSION_MAJOR, BK_VERSION_MINOR,
             BK_VERSION_PATCH);
    CHECK_STR(bk_version(), expected);
}

static void test_result_names(void) {
    CHECK_STR(bk_result_name(BK_RESULT_OK), "ok");
    CHECK_STR(bk_result_name(BK_RESULT_NULL_PARAMETER), "null_parameter");
    CHECK_STR(bk_result_name(BK_RESULT_INVALID_UTF8), "invalid_utf8");
    CHECK_STR(bk_result_name(BK_RESULT_INVALID_CODE), "invalid_code");
    CHECK_STR(bk_result_name(BK_RESULT_RULES_ERROR), "rules_error");
    CHECK_STR(bk_result_name(BK_RESULT_PANIC), "panic");
    CHECK_STR(bk_result_name(BK_RESULT_LIMIT_EXCEEDED), "limit_exceeded");
    CHECK_STR(bk_result_name(BK_RESULT_POLICY_ERROR), "policy_error");
    CHECK_STR(bk_result_name(BK_RESULT_INVALID_EVENT), "invalid_event");
    CHECK_STR(bk_result_name(BK_RESULT_LEDGER_ERROR), "ledger_error");
    for (uint32_t r = 0; r <= BK_RESULT_LEDGER_ERROR; r++) {
        CHECK(bk_result_name(r) != NULL);
    }
    CHECK(bk_result_name(BK_RESULT_LEDGER_ERROR + 1) == NULL);
    CHECK(bk_result_name(UINT32_MAX) == NULL);
}

static void test_last_error(void) {
    char buf[256];
    size_t written = 12345;

    /* A failing call sets the message... */
    CHECK_RESULT(bk_classify(TEXT("x"), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(bk_last_error_length() > 0);
    CHECK_RESULT(bk_last_error_message(buf, sizeof buf, &written), BK_RESULT_OK);
    CHECK(written == bk_last_error_length());
    CHECK(strstr(buf, "bk_classify") != NULL);
    CHECK(strstr(buf, "out") != NULL);

    /* ...which can be truncated, always NUL-terminated... */
    char small[8];
    memset(small, 'x', sizeof small);
    CHECK_RESULT(bk_last_error_message(small, sizeof small, &written), BK_RESULT_OK);
    CHECK(written == 7);
    CHECK(small[7] == '\0');
    CHECK(strncmp(small, buf, 7) == 0);
    CHECK_RESULT(bk_last_error_message(small, 1, &written), BK_RESULT_OK);
    CHECK(written == 0 && small[0] == '\0');

    /* ...and bad arguments to it are reported, not crashed on. */
    CHECK(bk_last_error_message(NULL, sizeof buf, &written) == BK_RESULT_NULL_PARAMETER);
    CHECK(bk_last_error_message(buf, sizeof buf, NULL) == BK_RESULT_NULL_PARAMETER);
    CHECK(bk_last_error_message(buf, 0, &written) == BK_RESULT_INSUFFICIENT_SIZE);
    /* Asking for it did not clear it. */
    CHECK(bk_last_error_length() > 0);

    /* A call that succeeds clears it. */
    bk_classification *c = NULL;
    CHECK_RESULT(bk_classify(TEXT("550 5.1.1 user unknown"), &c), BK_RESULT_OK);
    bk_classification_free(c);
    CHECK(bk_last_error_length() == 0);
    CHECK_RESULT(bk_last_error_message(buf, sizeof buf, &written), BK_RESULT_OK);
    CHECK(written == 0 && buf[0] == '\0');
}

static void test_panic_boundary(void) {
    uint32_t out = 777;
    CHECK(bk_test_panic(&out) == BK_RESULT_PANIC);
    CHECK(out == 777); /* out-parameters are written only on success */
    CHECK(strstr(last_error(), "bk_test_panic") != NULL);
    CHECK(strstr(last_error(), "panic") != NULL);
    CHECK(bk_test_panic(NULL) == BK_RESULT_PANIC);
    /* The library still works after a caught panic. */
    bk_classification *c = NULL;
    CHECK_RESULT(bk_classify(TEXT("552 5.2.2 Mailbox full"), &c), BK_RESULT_OK);
    CHECK(bk_classification_reason(c) == BK_REASON_MAILBOXFULL);
    bk_classification_free(c);
}

struct expectation {
    const char *text;
    bk_reason reason;
    bk_bounce_type bounce_type;
    bk_action action;
    const char *status;
};

static void test_classify(void) {
    static const struct expectation cases[] = {
        {"550 5.1.1 <user@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
         BK_REASON_USERUNKNOWN, BK_BOUNCE_TYPE_HARD, BK_ACTION_SUPPRESS, "5.1.1"},
        {"452 4.2.2 The email account that you tried to reach is over quota",
         BK_REASON_MAILBOXFULL, BK_BOUNCE_TYPE_SOFT, BK_ACTION_RETRY, "4.2.2"},
        {"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
         BK_REASON_BLOCKED, BK_BOUNCE_TYPE_SOFT, BK_ACTION_FIX_SENDER, "5.7.1"},
        {"550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
         BK_REASON_USERUNKNOWN, BK_BOUNCE_TYPE_HARD, BK_ACTION_SUPPRESS, "5.4.1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *text = unterminated(cases[i].text, &len);
        bk_classification *c = NULL;
        CHECK_RESULT(bk_classify(text, len, &c), BK_RESULT_OK);
        CHECK(c != NULL);
        CHECK(bk_classification_reason(c) == cases[i].reason);
        CHECK(bk_classification_bounce_type(c) == cases[i].bounce_type);
        CHECK(bk_classification_action(c) == cases[i].action);
        CHECK_STR(bk_classification_status(c), cases[i].status);
        CHECK(bk_classification_status_source(c) == BK_STATUS_SOURCE_FOUND);
        CHECK(bk_classification_description(c) != NULL);
        CHECK(bk_classification_rule(c) != NULL && bk_classification_rule(c)[0] != '\0');
        bk_status_code sc = {0, 0, 0};
        CHECK(bk_classification_status_code(c, &sc));
        char buf[32];
        snprintf(buf, sizeof buf, "%u.%u.%u", sc.class_digit, sc.subject, sc.detail);
        CHECK_STR(buf, cases[i].status);
        CHECK(bk_classification_status_code(c, NULL) == false);
        free(text);
        bk_classification_free(c);
    }

    /* Codes, category, description, rule for one well-known text. */
    bk_classification *c = NULL;
    CHECK_RESULT(bk_classify(TEXT("550 5.1.1 user unknown"), &c), BK_RESULT_OK);
    CHECK(bk_classification_reply_code(c) == 550);
    CHECK(bk_classification_category(c) == BK_CATEGORY_ADDRESSING);
    CHECK_STR(bk_classification_description(c), "Bad destination mailbox address");
    CHECK(bk_classification_note(c) == NULL);
    bk_classification_free(c);

    /* Reply and enhanced code of different classes: a note says so. */
    c = NULL;
    CHECK_RESULT(bk_classify(TEXT("550 4.2.2 mailbox full"), &c), BK_RESULT_OK);
    CHECK(bk_classification_note(c) != NULL);
    bk_classification_free(c);

    /* No code at all: status derived from the verdict, or none. */
    c = NULL;
    CHECK_RESULT(bk_classify(TEXT("Host or domain name not found. Name service error for name=example.invalid type=A: Host not found"), &c), BK_RESULT_OK);
    CHECK(bk_classification_reason(c) == BK_REASON_HOSTUNKNOWN);
    CHECK(bk_classification_reply_code(c) == 0);
    CHECK(bk_classification_status_source(c) == BK_STATUS_SOURCE_DERIVED);
    CHECK(bk_classification_status(c) != NULL);
    bk_classification_free(c);

    /* Empty text: NULL pointer with length 0 is the empty text. */
    c = NULL;
    CHECK_RESULT(bk_classify(NULL, 0, &c), BK_RESULT_OK);
    CHECK(bk_classification_reason(c) == BK_REASON_UNDEFINED);
    CHECK(bk_classification_status(c) == NULL);
    CHECK(bk_classification_status_source(c) == BK_STATUS_SOURCE_NONE);
    CHECK(bk_classification_reply_code(c) == 0);
    CHECK_STR(bk_classification_rule(c), "none");
    bk_status_code sc = {9, 9, 9};
    CHECK(!bk_classification_status_code(c, &sc));
    CHECK(sc.class_digit == 9);
    bk_classification_free(c);
    c = NULL;
    CHECK_RESULT(bk_classify((const uint8_t *)"", 0, &c), BK_RESULT_OK);
    bk_classification_free(c);

    /* Invalid UTF-8 and NUL bytes are fine: the text is bytes. */
    static const uint8_t bad[] = {'5', '5', '0', ' ', '5', '.', '1', '.', '1', ' ', 0xff, 0xfe,
                                  0xc3, 0x28, 0x00, 'u', 's', 'e', 'r', ' ', 'u', 'n', 'k', 'n',
                                  'o', 'w', 'n', 0xe2, 0x82};
    c = NULL;
    CHECK_RESULT(bk_classify(bad, sizeof bad, &c), BK_RESULT_OK);
    CHECK(bk_classification_reason(c) == BK_REASON_USERUNKNOWN);
    bk_classification_free(c);

    /* NULL text with a length is an error; out is left alone. */
    bk_classification *sentinel = (bk_classification *)(uintptr_t)0x1;
    c = sentinel;
    CHECK_RESULT(bk_classify(NULL, 5, &c), BK_RESULT_NULL_PARAMETER);
    CHECK(c == sentinel);
    CHECK(strstr(last_error(), "text") != NULL);
    CHECK_RESULT(bk_classify(TEXT("x"), NULL), BK_RESULT_NULL_PARAMETER);
    /* A length above PTRDIFF_MAX is refused before anything is read. */
    CHECK_RESULT(bk_classify((const uint8_t *)"x", SIZE_MAX, &c), BK_RESULT_INVALID_PARAMETER);
    CHECK(c == sentinel);

    /* Accessors on NULL return their documented defaults. */
    CHECK(bk_classification_reason(NULL) == BK_REASON_UNDEFINED);
    CHECK(bk_classification_bounce_type(NULL) == BK_BOUNCE_TYPE_NONE);
    CHECK(bk_classification_category(NULL) == BK_CATEGORY_OTHER);
    CHECK(bk_classification_action(NULL) == BK_ACTION_IGNORE);
    CHECK(bk_classification_status_source(NULL) == BK_STATUS_SOURCE_NONE);
    CHECK(bk_classification_status(NULL) == NULL);
    CHECK(bk_classification_reply_code(NULL) == 0);
    CHECK(bk_classification_description(NULL) == NULL);
    CHECK(bk_classification_rule(NULL) == NULL);
    CHECK(bk_classification_note(NULL) == NULL);
    CHECK(!bk_classification_status_code(NULL, &sc));
    bk_classification_free(NULL);
}

static const char *USER_RULES =
    "[[rule]]\n"
    "id = \"mine.vip\"\n"
    "reason = \"filtered\"\n"
    "priority = 100\n"
    "phrases = [\"vip list only\"]\n"
    "examples = [\"550 5.1.1 vip list only\"]\n";

static void test_classifier(void) {
    bk_classifier *plain = NULL, *mine = NULL;
    CHECK_RESULT(bk_classifier_new(&plain), BK_RESULT_OK);
    CHECK(plain != NULL);
    size_t len;
    uint8_t *rules = unterminated(USER_RULES, &len);
    CHECK_RESULT(bk_classifier_new_with_rules(rules, len, &mine), BK_RESULT_OK);
    free(rules);
    CHECK(mine != NULL);

    /* The user's rule goes first and wins over the status code. */
    bk_classification *c = NULL;
    CHECK_RESULT(bk_classifier_classify(mine, TEXT("550 5.1.1 vip list only"), &c), BK_RESULT_OK);
    CHECK(bk_classification_reason(c) == BK_REASON_FILTERED);
    CHECK_STR(bk_classification_rule(c), "mine.vip");
    bk_classification_free(c);
    c = NULL;
    CHECK_RESULT(bk_classifier_classify(plain, TEXT("550 5.1.1 vip list only"), &c), BK_RESULT_OK);
    CHECK(bk_classification_reason(c) == BK_REASON_USERUNKNOWN);
    bk_classification_free(c);

    /* The built-in classifier agrees with bk_classify. */
    bk_classification *a = NULL, *b = NULL;
    const char *t = "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints";
    CHECK_RESULT(bk_classifier_classify(plain, TEXT(t), &a), BK_RESULT_OK);
    CHECK_RESULT(bk_classify(TEXT(t), &b), BK_RESULT_OK);
    CHECK(bk_classification_reason(a) == bk_classification_reason(b));
    CHECK_STR(bk_classification_rule(a), bk_classification_rule(b));
    bk_classification_free(a);
    bk_classification_free(b);

    /* Rule listing. */
    size_t n_plain = bk_classifier_rule_count(plain), n_mine = bk_classifier_rule_count(mine);
    CHECK(n_plain > 10);
    CHECK(n_mine == n_plain + 1);
    CHECK_STR(bk_classifier_rule_id(mine, 0), "mine.vip");
    CHECK(bk_classifier_rule_id(plain, n_plain - 1) != NULL);
    CHECK(bk_classifier_rule_id(plain, n_plain) == NULL);
    CHECK(bk_classifier_rule_id(NULL, 0) == NULL);
    CHECK(bk_classifier_rule_count(NULL) == 0);

    /* Hints: a DSN Status field fills a missing code. */
    bk_found_codes hints;
    memset(&hints, 0, sizeof hints);
    hints.has_status = true;
    hints.status.class_digit = 5;
    hints.status.subject = 1;
    hints.status.detail = 1;
    c = NULL;
    CHECK_RESULT(bk_classifier_classify_with(plain, TEXT("delivery failed"), &hints, &c), BK_RESULT_OK);
    CHECK_STR(bk_classification_status(c), "5.1.1");
    CHECK(bk_classification_reason(c) == BK_REASON_USERUNKNOWN);
    bk_classification_free(c);
    c = NULL;
    CHECK_RESULT(bk_classifier_classify_with(plain, TEXT("550 5.2.2 mailbox full"), NULL, &c), BK_RESULT_OK);
    CHECK(bk_classification_reason(c) == BK_REASON_MAILBOXFULL);
    bk_classification_free(c);
    hints.status.subject = 9; /* not a status code */
    c = NULL;
    CHECK_RESULT(bk_classifier_classify_with(plain, TEXT("x"), &hints, &c), BK_RESULT_INVALID_CODE);
    CHECK(c == NULL);
    hints.has_status = false;
    hints.reply_code = 999;
    CHECK_RESULT(bk_classifier_classify_with(plain, TEXT("x"), &hints, &c), BK_RESULT_INVALID_CODE);
    hints.reply_code = 550;
    CHECK_RESULT(bk_classifier_classify_with(plain, TEXT("x"), &hints, &c), BK_RESULT_OK);
    CHECK(bk_classification_reply_code(c) == 550);
    bk_classification_free(c);
    c = NULL;

    /* Bad arguments. */
    CHECK_RESULT(bk_classifier_classify(NULL, TEXT("x"), &c), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_classify(plain, TEXT("x"), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_classify(plain, NULL, 3, &c), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_classify_with(NULL, TEXT("x"), NULL, &c), BK_RESULT_NULL_PARAMETER);
    CHECK(c == NULL);
    CHECK_RESULT(bk_classifier_new(NULL), BK_RESULT_NULL_PARAMETER);

    /* Rules that do not load say why; out is left alone. */
    bk_classifier *bad = NULL;
    CHECK_RESULT(bk_classifier_new_with_rules(TEXT("[[rule]]\nid = 1\n"), &bad), BK_RESULT_RULES_ERROR);
    CHECK(bad == NULL);
    CHECK(strstr(last_error(), "rules") != NULL);
    CHECK_RESULT(bk_classifier_new_with_rules(TEXT("this is not toml ["), &bad), BK_RESULT_RULES_ERROR);
    CHECK_RESULT(bk_classifier_new_with_rules(
                     TEXT("[[rule]]\nid = \"x.bad\"\nreason = \"nonsense\"\nphrases = [\"a\"]\nexamples = [\"a\"]\n"),
                     &bad),
                 BK_RESULT_RULES_ERROR);
    CHECK_RESULT(bk_classifier_new_with_rules(
                     TEXT("[[rule]]\nid = \"x.re\"\nreason = \"filtered\"\npatterns = [\"(unclosed\"]\nexamples = [\"a\"]\n"),
                     &bad),
                 BK_RESULT_RULES_ERROR);
    static const uint8_t not_utf8[] = {'#', ' ', 0xff, '\n'};
    CHECK_RESULT(bk_classifier_new_with_rules(not_utf8, sizeof not_utf8, &bad), BK_RESULT_INVALID_UTF8);
    CHECK_RESULT(bk_classifier_new_with_rules(NULL, 4, &bad), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_classifier_new_with_rules(TEXT(USER_RULES), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(bad == NULL);
    /* An empty rules file is just no user rules. */
    CHECK_RESULT(bk_classifier_new_with_rules(NULL, 0, &bad), BK_RESULT_OK);
    CHECK(bk_classifier_rule_count(bad) == n_plain);
    bk_classifier_free(bad);

    bk_classifier_free(plain);
    bk_classifier_free(mine);
    bk_classifier_free(NULL);
}

static void test_codes(void) {
    bk_status_code sc = {1, 2, 3};
    CHECK_RESULT(bk_status_code_parse(TEXT("5.7.26"), &sc), BK_RESULT_OK);
    CHECK(sc.class_digit == 5 && sc.subject == 7 && sc.detail == 26);
    CHECK_RESULT(bk_status_code_parse(TEXT(" 4.2.2 "), &sc), BK_RESULT_OK);
    CHECK(sc.class_digit == 4 && sc.subject == 2 && sc.detail == 2);
    bk_status_code before = sc;
    CHECK_RESULT(bk_status_code_parse(TEXT("5.9.999"), &sc), BK_RESULT_INVALID_CODE);
    CHECK_RESULT(bk_status_code_parse(TEXT("3.1.1"), &sc), BK_RESULT_INVALID_CODE);
    CHECK_RESULT(bk_status_code_parse(TEXT("5.1.1 trailing"), &sc), BK_RESULT_INVALID_CODE);
    CHECK_RESULT(bk_status_code_parse(NULL, 0, &sc), BK_RESULT_INVALID_CODE);
    static const uint8_t bad[] = {'5', '.', 0xff, '.', '1'};
    CHECK_RESULT(bk_status_code_parse(bad, sizeof bad, &sc), BK_RESULT_INVALID_UTF8);
    CHECK_RESULT(bk_status_code_parse(NULL, 5, &sc), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_status_code_parse(TEXT("5.1.1"), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(sc.class_digit == before.class_digit && sc.subject == before.subject && sc.detail == before.detail);

    CHECK_RESULT(bk_reply_code_check(550), BK_RESULT_OK);
    CHECK_RESULT(bk_reply_code_check(250), BK_RESULT_OK);
    CHECK_RESULT(bk_reply_code_check(0), BK_RESULT_INVALID_CODE);
    CHECK_RESULT(bk_reply_code_check(600), BK_RESULT_INVALID_CODE);
    CHECK_RESULT(bk_reply_code_check(65535), BK_RESULT_INVALID_CODE);

    bk_found_codes f;
    memset(&f, 0xab, sizeof f);
    CHECK_RESULT(bk_find_codes(TEXT("smtp; 550-5.1.1 The email account that you tried to reach does not exist"), &f), BK_RESULT_OK);
    CHECK(f.has_status && f.status.class_digit == 5 && f.status.subject == 1 && f.status.detail == 1);
    CHECK(f.reply_code == 550);
    CHECK_RESULT(bk_find_codes(TEXT("connect to 5.1.1.1 failed"), &f), BK_RESULT_OK);
    CHECK(!f.has_status);
    CHECK(f.status.class_digit == 0 && f.status.subject == 0 && f.status.detail == 0);
    CHECK_RESULT(bk_find_codes(NULL, 0, &f), BK_RESULT_OK);
    CHECK(!f.has_status && f.reply_code == 0);
    CHECK_RESULT(bk_find_codes(NULL, 1, &f), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_find_codes(TEXT("550"), NULL), BK_RESULT_NULL_PARAMETER);

    size_t n = bk_registered_code_count();
    CHECK(n >= 80); /* X.0.0 .. X.7.30 */
    CHECK_STR(bk_registered_code(0), "X.0.0");
    CHECK(bk_registered_code(n) == NULL);
    CHECK(bk_registered_code(SIZE_MAX) == NULL);
    /* Every registered code explains at the registered level. */
    for (size_t i = 0; i < n; i++) {
        const char *key = bk_registered_code(i);
        CHECK(key != NULL && key[0] == 'X');
        char code[32];
        snprintf(code, sizeof code, "5%s", key + 1);
        bk_explanation *e = NULL;
        CHECK_RESULT(bk_explain(TEXT(code), &e), BK_RESULT_OK);
        CHECK(bk_explanation_level(e) == BK_LEVEL_REGISTERED);
        CHECK_STR(bk_explanation_registry_key(e), key);
        bk_explanation_free(e);
    }
}

static void test_explain(void) {
    bk_explanation *e = NULL;
    size_t len;
    uint8_t *code = unterminated("5.4.1", &len);
    CHECK_RESULT(bk_explain(code, len, &e), BK_RESULT_OK);
    free(code);
    CHECK_STR(bk_explanation_code(e), "5.4.1");
    CHECK_STR(bk_explanation_registry_key(e), "X.4.1");
    CHECK(bk_explanation_level(e) == BK_LEVEL_REGISTERED);
    CHECK_STR(bk_explanation_name(e), "No answer from host");
    CHECK_STR(bk_explanation_permanence(e), "permanent");
    CHECK(bk_explanation_category(e) == BK_CATEGORY_NETWORK_ROUTING);
    CHECK(bk_explanation_rfc(e) == 3463);
    CHECK(!bk_explanation_deprecated(e));
    CHECK(bk_explanation_class_name(e) != NULL);
    CHECK(bk_explanation_class_meaning(e) != NULL);
    CHECK(bk_explanation_summary(e) != NULL && bk_explanation_summary(e)[0] != '\0');
    CHECK(bk_explanation_meaning(e) != NULL && bk_explanation_meaning(e)[0] != '\0');
    (void)bk_explanation_reference(e); /* may be NULL */
    (void)bk_explanation_class_note(e); /* may be NULL */
    CHECK(bk_reason_name(bk_explanation_reason(e)) != NULL);
    CHECK(bk_bounce_type_name(bk_explanation_bounce_type(e)) != NULL);
    CHECK(bk_action_name(bk_explanation_action(e)) != NULL);
    size_t total = 0;
    for (uint32_t list = BK_EXPLANATION_LIST_CAUSES; list <= BK_EXPLANATION_LIST_EXAMPLES; list++) {
        size_t n = bk_explanation_list_len(e, list);
        total += n;
        for (size_t i = 0; i < n; i++) {
            const char *item = bk_explanation_list_item(e, list, i);
            CHECK(item != NULL && item[0] != '\0');
        }
        CHECK(bk_explanation_list_item(e, list, n) == NULL);
    }
    CHECK(total > 0);
    CHECK(bk_explanation_list_len(e, BK_EXPLANATION_LIST_CAUSES) > 0);
    CHECK(bk_explanation_list_len(e, 99) == 0);
    CHECK(bk_explanation_list_item(e, 99, 0) == NULL);
    bk_explanation_free(e);

    /* Not registered but well-formed: the subject-level answer. */
    e = NULL;
    CHECK_RESULT(bk_explain(TEXT("5.7.606"), &e), BK_RESULT_OK);
    CHECK(bk_explanation_level(e) == BK_LEVEL_SUBJECT);
    CHECK(strstr(bk_explanation_summary(e), "not in the IANA registry") != NULL);
    bk_explanation_free(e);

    /* Success and temporary classes. */
    e = NULL;
    CHECK_RESULT(bk_explain(TEXT("2.0.0"), &e), BK_RESULT_OK);
    CHECK_STR(bk_explanation_permanence(e), "success");
    bk_explanation_free(e);
    e = NULL;
    CHECK_RESULT(bk_explain(TEXT("4.2.2"), &e), BK_RESULT_OK);
    CHECK_STR(bk_explanation_permanence(e), "temporary");
    bk_explanation_free(e);

    /* Bad codes. */
    bk_explanation *sentinel = (bk_explanation *)(uintptr_t)0x1;
    e = sentinel;
    CHECK_RESULT(bk_explain(TEXT("5.9.1"), &e), BK_RESULT_INVALID_CODE);
    CHECK(strstr(last_error(), "5.9.1") != NULL);
    CHECK_RESULT(bk_explain(TEXT("hello"), &e), BK_RESULT_INVALID_CODE);
    CHECK_RESULT(bk_explain(NULL, 0, &e), BK_RESULT_INVALID_CODE);
    static const uint8_t bad[] = {'5', '.', '1', '.', 0xc3};
    CHECK_RESULT(bk_explain(bad, sizeof bad, &e), BK_RESULT_INVALID_UTF8);
    CHECK_RESULT(bk_explain(NULL, 3, &e), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_explain(TEXT("5.1.1"), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(e == sentinel);

    /* Accessors on NULL. */
    CHECK(bk_explanation_code(NULL) == NULL);
    CHECK(bk_explanation_registry_key(NULL) == NULL);
    CHECK(bk_explanation_level(NULL) == BK_LEVEL_SUBJECT);
    CHECK(bk_explanation_name(NULL) == NULL);
    CHECK(bk_explanation_rfc(NULL) == 0);
    CHECK(bk_explanation_reference(NULL) == NULL);
    CHECK(!bk_explanation_deprecated(NULL));
    CHECK(bk_explanation_permanence(NULL) == NULL);
    CHECK(bk_explanation_class_name(NULL) == NULL);
    CHECK(bk_explanation_class_meaning(NULL) == NULL);
    CHECK(bk_explanation_reason(NULL) == BK_REASON_UNDEFINED);
    CHECK(bk_explanation_bounce_type(NULL) == BK_BOUNCE_TYPE_NONE);
    CHECK(bk_explanation_category(NULL) == BK_CATEGORY_OTHER);
    CHECK(bk_explanation_action(NULL) == BK_ACTION_IGNORE);
    CHECK(bk_explanation_summary(NULL) == NULL);
    CHECK(bk_explanation_meaning(NULL) == NULL);
    CHECK(bk_explanation_class_note(NULL) == NULL);
    CHECK(bk_explanation_list_len(NULL, BK_EXPLANATION_LIST_CAUSES) == 0);
    CHECK(bk_explanation_list_item(NULL, BK_EXPLANATION_LIST_CAUSES, 0) == NULL);
    bk_explanation_free(NULL);
}

static void test_reasons(void) {
    size_t n = bk_reason_count();
    CHECK(n == 34);
    for (uint32_t r = 0; r < n; r++) {
        const char *name = bk_reason_name(r);
        CHECK(name != NULL);
        bk_reason back = (bk_reason)999;
        CHECK_RESULT(bk_reason_from_name(TEXT(name), &back), BK_RESULT_OK);
        CHECK(back == r);
        bk_reason_info info;
        memset(&info, 0, sizeof info);
        CHECK_RESULT(bk_reason_get_info(r, &info), BK_RESULT_OK);
        CHECK(info.reason == r);
        CHECK_STR(info.name, name);
        CHECK(info.definition != NULL && strlen(info.definition) > 10);
        CHECK_STR(bk_reason_definition(r), info.definition);
        CHECK(bk_bounce_type_name(info.bounce_type) != NULL);
        CHECK(bk_action_name(info.action) != NULL);
        CHECK(bk_category_name(info.category) != NULL);
        CHECK(info.sparkpost_class <= 100);
        if (info.ses_type != NULL) {
            CHECK(info.ses_subtype != NULL);
        }
    }
    CHECK_STR(bk_reason_name(BK_REASON_USERUNKNOWN), "userunknown");
    CHECK_STR(bk_reason_name(BK_REASON_FAILEDSTARTTLS), "failedstarttls");
    CHECK(bk_reason_name((uint32_t)n) == NULL);
    CHECK(bk_reason_definition((uint32_t)n) == NULL);

    bk_reason_info info;
    CHECK_RESULT(bk_reason_get_info(BK_REASON_USERUNKNOWN, &info), BK_RESULT_OK);
    CHECK(info.bounce_type == BK_BOUNCE_TYPE_HARD);
    CHECK(info.action == BK_ACTION_SUPPRESS);
    CHECK_STR(info.status, "5.1.1");
    CHECK_STR(info.ses_type, "Permanent");
    CHECK_STR(info.ses_subtype, "NoEmail");
    CHECK(info.sparkpost_class == 10);
    CHECK(info.kumomta != NULL);
    CHECK(info.sendgrid != NULL);
    CHECK_STR(info.postmark, "HardBounce");
    CHECK_RESULT(bk_reason_get_info(BK_REASON_MAILBOXFULL, &info), BK_RESULT_OK);
    CHECK(info.bounce_type == BK_BOUNCE_TYPE_SOFT);
    CHECK_STR(info.ses_type, "Transient");

    bk_reason_info untouched, copy;
    memset(&untouched, 0x5a, sizeof untouched);
    memcpy(&copy, &untouched, sizeof copy);
    CHECK_RESULT(bk_reason_get_info((uint32_t)n, &untouched), BK_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(bk_reason_get_info(UINT32_MAX, &untouched), BK_RESULT_INVALID_PARAMETER);
    CHECK(memcmp(&copy, &untouched, sizeof copy) == 0);
    CHECK_RESULT(bk_reason_get_info(BK_REASON_BLOCKED, NULL), BK_RESULT_NULL_PARAMETER);

    bk_reason r = BK_REASON_VACATION;
    CHECK_RESULT(bk_reason_from_name(TEXT("nosuchreason"), &r), BK_RESULT_UNKNOWN_NAME);
    CHECK_RESULT(bk_reason_from_name(TEXT("UserUnknown"), &r), BK_RESULT_UNKNOWN_NAME);
    CHECK_RESULT(bk_reason_from_name(NULL, 0, &r), BK_RESULT_UNKNOWN_NAME);
    static const uint8_t bad[] = {'u', 's', 0xff};
    CHECK_RESULT(bk_reason_from_name(bad, sizeof bad, &r), BK_RESULT_INVALID_UTF8);
    CHECK_RESULT(bk_reason_from_name(NULL, 3, &r), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_reason_from_name(TEXT("blocked"), NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(r == BK_REASON_VACATION);

    /* The other vocabularies' names. */
    CHECK_STR(bk_bounce_type_name(BK_BOUNCE_TYPE_HARD), "hard");
    CHECK_STR(bk_bounce_type_name(BK_BOUNCE_TYPE_NONE), "none");
    CHECK(bk_bounce_type_name(3) == NULL);
    CHECK_STR(bk_category_name(BK_CATEGORY_MAIL_SYSTEM), "mail_system");
    CHECK_STR(bk_category_name(BK_CATEGORY_SECURITY_POLICY), "security_policy");
    CHECK(bk_category_name(8) == NULL);
    CHECK_STR(bk_action_name(BK_ACTION_FIX_SENDER), "fix_sender");
    CHECK(bk_action_name(4) == NULL);
    CHECK_STR(bk_status_source_name(BK_STATUS_SOURCE_DERIVED), "derived");
    CHECK(bk_status_source_name(3) == NULL);
    CHECK_STR(bk_level_name(BK_LEVEL_REGISTERED), "registered");
    CHECK_STR(bk_level_name(BK_LEVEL_SUBJECT), "subject");
    CHECK(bk_level_name(2) == NULL);
}

int main(void) {
    test_version();
    test_result_names();
    test_last_error();
    test_panic_boundary();
    test_classify();
    test_classifier();
    test_codes();
    test_explain();
    test_reasons();
    return check_done("test_api");
}
