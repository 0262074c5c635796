/* bk_policy, bk_decision, bk_ledger and bk_string: defaults and TOML
 * policies (good and bad), pure decisions, recording (batches, duplicates,
 * refused batches that write nothing), decide / is_suppressed / release,
 * domain flags, CSV and JSON export, statistics, a ledger file closed and
 * reopened, a file that is not a ledger, and 4 threads recording into one
 * handle. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include "bouncekit.h"
#include "check.h"
#include "samples.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1741000000 /* 2025-03-03T11:06:40Z */
#define DAY 86400

static char root[256];

static bk_event ev(const char *addr, int64_t time, bk_reason reason) {
    bk_event e;
    memset(&e, 0, sizeof e);
    e.recipient = (const uint8_t *)addr;
    e.recipient_len = strlen(addr);
    e.time = time;
    e.reason = (uint32_t)reason;
    bk_reason_info info;
    bk_reason_get_info((uint32_t)reason, &info);
    e.bounce_type = (uint32_t)info.bounce_type;
    return e;
}

static bk_action decide(const bk_ledger *l, const char *addr, int64_t now) {
    bk_decision *d = NULL;
    CHECK_RESULT(bk_ledger_decide(l, (const uint8_t *)addr, strlen(addr), now, &d), BK_RESULT_OK);
    bk_action a = bk_decision_action(d);
    bk_decision_free(d);
    return a;
}

static int suppressed(const bk_ledger *l, const char *addr, int64_t now) {
    bool s = false;
    CHECK_RESULT(bk_ledger_is_suppressed(l, (const uint8_t *)addr, strlen(addr), now, &s), BK_RESULT_OK);
    return s;
}

static void last_error(char *buf, size_t len) {
    size_t w = 0;
    bk_last_error_message(buf, len, &w);
}

static void test_policy(void) {
    bk_policy *p = (bk_policy *)0x1;
    CHECK_RESULT(bk_policy_new_default(NULL), BK_RESULT_NULL_PARAMETER);
    static const char unknown_key[] = "[soft]\nthreshold = 2\nwindw = \"7d\"\n";
    CHECK_RESULT(bk_policy_from_toml((const uint8_t *)unknown_key, sizeof unknown_key - 1, &p),
                 BK_RESULT_POLICY_ERROR);
    char msg[512];
    last_error(msg, sizeof msg);
    CHECK(strstr(msg, "windw") != NULL);
    static const char unknown_reason[] = "[fix_sender]\nreasons = [\"nosuchreason\"]\n";
    CHECK_RESULT(bk_policy_from_toml((const uint8_t *)unknown_reason, sizeof unknown_reason - 1, &p),
                 BK_RESULT_POLICY_ERROR);
    static const char bad_span[] = "[soft]\nwindow = \"fortnight\"\n";
    CHECK_RESULT(bk_policy_from_toml((const uint8_t *)bad_span, sizeof bad_span - 1, &p),
                 BK_RESULT_POLICY_ERROR);
    static const char not_toml[] = "[soft\n";
    CHECK_RESULT(bk_policy_from_toml((const uint8_t *)not_toml, sizeof not_toml - 1, &p),
                 BK_RESULT_POLICY_ERROR);
    static const char bad_utf8[] = "[soft]\nthreshold = 2 # \xff\xfe\n";
    CHECK_RESULT(bk_policy_from_toml((const uint8_t *)bad_utf8, sizeof bad_utf8 - 1, &p),
                 BK_RESULT_INVALID_UTF8);
    CHECK_RESULT(bk_policy_from_toml(NULL, 4, &p), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_policy_from_toml((const uint8_t *)"", 0, NULL), BK_RESULT_NULL_PARAMETER);
    static const char missing[] = "/nonexistent/policy.toml";
    CHECK_RESULT(bk_policy_from_file((const uint8_t *)missing, sizeof missing - 1, &p), BK_RESULT_IO_ERROR);
    CHECK_RESULT(bk_policy_from_file((const uint8_t *)"", 0, &p), BK_RESULT_INVALID_PARAMETER);
    CHECK(p == (bk_policy *)0x1);

    /* The empty text is the default policy. */
    p = NULL;
    CHECK_RESULT(bk_policy_from_toml(NULL, 0, &p), BK_RESULT_OK);
    bk_history_event cur = {T0, BK_REASON_USERUNKNOWN, BK_BOUNCE_TYPE_HARD};
    bk_decision *d = NULL;
    CHECK_RESULT(bk_policy_decide(p, cur, NULL, 0, &d), BK_RESULT_OK);
    CHECK(bk_decision_action(d) == BK_ACTION_SUPPRESS);
    CHECK(strstr(bk_decision_why(d), "userunknown") != NULL);
    uint64_t secs = 12345;
    CHECK(!bk_decision_retry_after(d, &secs));
    CHECK(secs == 12345);
    bk_decision_free(d);

    /* Soft: retry after the reason's delay, then the third in 14 days suppresses. */
    cur = (bk_history_event){T0, BK_REASON_MAILBOXFULL, BK_BOUNCE_TYPE_SOFT};
    CHECK_RESULT(bk_policy_decide(p, cur, NULL, 0, &d), BK_RESULT_OK);
    CHECK(bk_decision_action(d) == BK_ACTION_RETRY);
    CHECK(bk_decision_retry_after(d, &secs));
    CHECK(secs == 12 * 3600);
    CHECK(!bk_decision_retry_after(d, NULL));
    bk_decision_free(d);
    bk_history_event hist[2] = {{T0 - 3 * DAY, BK_REASON_MAILBOXFULL, BK_BOUNCE_TYPE_SOFT},
                                {T0 - 1 * DAY, BK_REASON_MAILBOXFULL, BK_BOUNCE_TYPE_SOFT}};
    CHECK_RESULT(bk_policy_decide(p, cur, hist, 2, &d), BK_RESULT_OK);
    CHECK(bk_decision_action(d) == BK_ACTION_SUPPRESS);
    CHECK(strstr(bk_decision_why(d), "3 soft bounces") != NULL);
    bk_decision_free(d);
    /* Outside the window they do not count. */
    hist[0].time = T0 - 30 * DAY;
    CHECK_RESULT(bk_policy_decide(p, cur, hist, 2, &d), BK_RESULT_OK);
    CHECK(bk_decision_action(d) == BK_ACTION_RETRY);
    bk_decision_free(d);

    /* A block on the sender never costs the recipient; vacation is no failure. */
    cur = (bk_history_event){T0, BK_REASON_BLOCKED, BK_BOUNCE_TYPE_SOFT};
    CHECK_RESULT(bk_policy_decide(p, cur, NULL, 0, &d), BK_RESULT_OK);
    CHECK(bk_decision_action(d) == BK_ACTION_FIX_SENDER);
    bk_decision_free(d);
    cur = (bk_history_event){T0, BK_REASON_VACATION, BK_BOUNCE_TYPE_NONE};
    CHECK_RESULT(bk_policy_decide(p, cur, NULL, 0, &d), BK_RESULT_OK);
    CHECK(bk_decision_action(d) == BK_ACTION_IGNORE);
    bk_decision_free(d);
    cur = (bk_history_event){T0, BK_REASON_FEEDBACK, BK_BOUNCE_TYPE_NONE};
    CHECK_RESULT(bk_policy_decide(p, cur, NULL, 0, &d), BK_RESULT_OK);
    CHECK(bk_decision_action(d) == BK_ACTION_SUPPRESS);
    bk_decision_free(d);

    /* Bad input. */
    d = (bk_decision *)0x1;
    cur = (bk_history_event){T0, 9999, BK_BOUNCE_TYPE_SOFT};
    CHECK_RESULT(bk_policy_decide(p, cur, NULL, 0, &d), BK_RESULT_INVALID_PARAMETER);
    cur = (bk_history_event){T0, BK_REASON_MAILBOXFULL, 7};
    CHECK_RESULT(bk_policy_decide(p, cur, NULL, 0, &d), BK_RESULT_INVALID_PARAMETER);
    cur = (bk_history_event){T0, BK_REASON_MAILBOXFULL, BK_BOUNCE_TYPE_SOFT};
    hist[1].reason = 77;
    CHECK_RESULT(bk_policy_decide(p, cur, hist, 2, &d), BK_RESULT_INVALID_PARAMETER);
    last_error(msg, sizeof msg);
    CHECK(strstr(msg, "history[1]") != NULL);
    CHECK_RESULT(bk_policy_decide(p, cur, NULL, 3, &d), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_policy_decide(NULL, cur, NULL, 0, &d), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_policy_decide(p, cur, NULL, 0, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(d == (bk_decision *)0x1);
    CHECK(bk_decision_action(NULL) == BK_ACTION_IGNORE);
    CHECK(bk_decision_why(NULL) == NULL);
    CHECK(!bk_decision_retry_after(NULL, &secs));
    bk_decision_free(NULL);
    bk_policy_free(p);
    bk_policy_free(NULL);

    /* A policy of one's own, from a file: 2 soft bounces in 7 days. */
    char path[300];
    snprintf(path, sizeof path, "%s/policy.toml", root);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("[soft]\nthreshold = 2\nwindow = \"7d\"\n", f);
    fclose(f);
    p = NULL;
    CHECK_RESULT(bk_policy_from_file((const uint8_t *)path, strlen(path), &p), BK_RESULT_OK);
    hist[1] = (bk_history_event){T0 - DAY, BK_REASON_MAILBOXFULL, BK_BOUNCE_TYPE_SOFT};
    CHECK_RESULT(bk_policy_decide(p, cur, hist + 1, 1, &d), BK_RESULT_OK);
    CHECK(bk_decision_action(d) == BK_ACTION_SUPPRESS);
    CHECK(strstr(bk_decision_why(d), "7 days") != NULL);
    bk_decision_free(d);
    bk_policy_free(p);
}

static void test_ledger_record_decide(void) {
    bk_policy *p = NULL;
    bk_ledger *l = (bk_ledger *)0x1;
    CHECK_RESULT(bk_policy_new_default(&p), BK_RESULT_OK);
    CHECK_RESULT(bk_ledger_open_in_memory(NULL, &l), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_open_in_memory(p, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(l == (bk_ledger *)0x1);
    CHECK_RESULT(bk_ledger_open_in_memory(p, &l), BK_RESULT_OK);
    bk_policy_free(p); /* the ledger keeps its own copy */

    bk_event evs[5] = {
        ev("Bob@Example.com", T0, BK_REASON_USERUNKNOWN),
        ev("ann@example.com", T0 - 2 * DAY, BK_REASON_MAILBOXFULL),
        ev("ann@example.com", T0 - 1 * DAY, BK_REASON_MAILBOXFULL),
        ev("<cid@example.com>", T0, BK_REASON_BLOCKED),
        ev("dee@example.net", T0, BK_REASON_FEEDBACK),
    };
    static const char mid[] = "bounce-7@mx.example.net";
    evs[0].message_id = (const uint8_t *)mid;
    evs[0].message_id_len = sizeof mid - 1;
    static const char diag[] = "550 5.1.1 user unknown";
    evs[0].diagnostic = (const uint8_t *)diag;
    evs[0].diagnostic_len = sizeof diag - 1;
    evs[0].source = (const uint8_t *)"log";
    evs[0].source_len = 3;
    bk_batch_stats st;
    memset(&st, 0xAB, sizeof st);
    CHECK_RESULT(bk_ledger_record(l, evs, 5, &st), BK_RESULT_OK);
    CHECK(st.events == 5 && st.recorded == 5 && st.duplicates == 0);
    CHECK(st.suppressed == 2); /* bob (hard), dee (complaint) */

    CHECK(suppressed(l, "bob@example.com", T0));
    CHECK(suppressed(l, "BOB@EXAMPLE.COM", T0));
    CHECK(suppressed(l, "dee@example.net", T0));
    CHECK(!suppressed(l, "ann@example.com", T0));
    CHECK(!suppressed(l, "cid@example.com", T0));
    CHECK(!suppressed(l, "nobody@example.com", T0));
    CHECK(decide(l, "ann@example.com", T0) == BK_ACTION_RETRY);
    CHECK(decide(l, "cid@example.com", T0) == BK_ACTION_FIX_SENDER);
    CHECK(decide(l, "nobody@example.com", T0) == BK_ACTION_IGNORE);
    CHECK(decide(l, "bob@example.com", T0) == BK_ACTION_SUPPRESS);

    /* The same events again: nothing new. */
    CHECK_RESULT(bk_ledger_record(l, evs, 5, &st), BK_RESULT_OK);
    CHECK(st.events == 5 && st.recorded == 0 && st.duplicates == 5 && st.suppressed == 0);

    /* A third soft bounce for ann suppresses her; stats may be NULL. */
    bk_event third = ev("ann@example.com", T0, BK_REASON_MAILBOXFULL);
    CHECK_RESULT(bk_ledger_record(l, &third, 1, NULL), BK_RESULT_OK);
    CHECK(suppressed(l, "ann@example.com", T0));
    bk_decision *d = NULL;
    static const char ann[] = "ann@example.com";
    CHECK_RESULT(bk_ledger_decide(l, (const uint8_t *)ann, sizeof ann - 1, T0, &d), BK_RESULT_OK);
    CHECK(bk_decision_action(d) == BK_ACTION_SUPPRESS);
    CHECK(strstr(bk_decision_why(d), "3 soft bounces") != NULL);
    bk_decision_free(d);

    /* Bad batches are refused whole: nothing of them is written. */
    bk_ledger_totals before, after;
    CHECK_RESULT(bk_ledger_stats(l, T0, &before), BK_RESULT_OK);
    char msg[512];
    bk_event bad[3] = {ev("new1@example.org", T0, BK_REASON_USERUNKNOWN),
                       ev("not an address", T0, BK_REASON_USERUNKNOWN),
                       ev("new2@example.org", T0, BK_REASON_USERUNKNOWN)};
    memset(&st, 0xAB, sizeof st);
    bk_batch_stats untouched = st;
    CHECK_RESULT(bk_ledger_record(l, bad, 3, &st), BK_RESULT_INVALID_EVENT);
    last_error(msg, sizeof msg);
    CHECK(strstr(msg, "events[1]") != NULL && strstr(msg, "recipient") != NULL);
    CHECK(memcmp(&st, &untouched, sizeof st) == 0);
    bad[1] = ev("x@example.org", 12, BK_REASON_USERUNKNOWN); /* 1970: out of range */
    CHECK_RESULT(bk_ledger_record(l, bad, 3, &st), BK_RESULT_INVALID_EVENT);
    last_error(msg, sizeof msg);
    CHECK(strstr(msg, "time") != NULL);
    bad[1] = ev("x@example.org", (int64_t)5000000000LL, BK_REASON_USERUNKNOWN); /* 2128 */
    CHECK_RESULT(bk_ledger_record(l, bad, 3, &st), BK_RESULT_INVALID_EVENT);
    bad[1] = ev("x@example.org", T0, BK_REASON_USERUNKNOWN);
    bad[1].reason = 1000;
    CHECK_RESULT(bk_ledger_record(l, bad, 3, &st), BK_RESULT_INVALID_EVENT);
    bad[1].reason = BK_REASON_USERUNKNOWN;
    bad[1].bounce_type = 9;
    CHECK_RESULT(bk_ledger_record(l, bad, 3, &st), BK_RESULT_INVALID_EVENT);
    bad[1] = ev("x@example.org", T0, BK_REASON_USERUNKNOWN);
    static const char bad_utf8[] = "x\xff@example.org";
    bad[1].recipient = (const uint8_t *)bad_utf8;
    bad[1].recipient_len = sizeof bad_utf8 - 1;
    CHECK_RESULT(bk_ledger_record(l, bad, 3, &st), BK_RESULT_INVALID_UTF8);
    bad[1] = ev("x@example.org", T0, BK_REASON_USERUNKNOWN);
    bad[1].diagnostic = NULL;
    bad[1].diagnostic_len = 5;
    CHECK_RESULT(bk_ledger_record(l, bad, 3, &st), BK_RESULT_NULL_PARAMETER);
    bad[1] = ev("x@example.org", T0, BK_REASON_USERUNKNOWN);
    bad[1].recipient_len = 0; /* no recipient */
    CHECK_RESULT(bk_ledger_record(l, bad, 3, &st), BK_RESULT_INVALID_EVENT);
    CHECK_RESULT(bk_ledger_record(l, NULL, 2, &st), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_record(NULL, bad, 1, &st), BK_RESULT_NULL_PARAMETER);
    CHECK(memcmp(&st, &untouched, sizeof st) == 0);
    CHECK_RESULT(bk_ledger_stats(l, T0, &after), BK_RESULT_OK);
    CHECK(after.events == before.events && after.suppressed == before.suppressed);
    CHECK(!suppressed(l, "new1@example.org", T0));
    /* Zero events is a no-op. */
    CHECK_RESULT(bk_ledger_record(l, NULL, 0, &st), BK_RESULT_OK);
    CHECK(st.events == 0 && st.recorded == 0);

    /* Queries refuse what is not an address. */
    bool b = false;
    static const char junk[] = "no-at-sign";
    CHECK_RESULT(bk_ledger_is_suppressed(l, (const uint8_t *)junk, sizeof junk - 1, T0, &b),
                 BK_RESULT_INVALID_EVENT);
    CHECK_RESULT(bk_ledger_is_suppressed(l, (const uint8_t *)junk, sizeof junk - 1, T0, NULL),
                 BK_RESULT_NULL_PARAMETER);
    d = (bk_decision *)0x1;
    CHECK_RESULT(bk_ledger_decide(l, (const uint8_t *)"", 0, T0, &d), BK_RESULT_INVALID_EVENT);
    CHECK_RESULT(bk_ledger_decide(l, NULL, 3, T0, &d), BK_RESULT_NULL_PARAMETER);
    CHECK(d == (bk_decision *)0x1);

    /* Export: CSV with a header, JSON; bad format. */
    bk_string *s = NULL;
    size_t count = 0;
    CHECK_RESULT(bk_ledger_export(l, BK_EXPORT_FORMAT_CSV, T0, &s, &count), BK_RESULT_OK);
    CHECK(count == 3);
    const char *csv = bk_string_data(s);
    CHECK(strncmp(csv, "address,domain,scope,reason,bounce_type,since,until,why\n", 56) == 0);
    CHECK(strstr(csv, "\nbob@example.com,example.com,address,userunknown,hard,2025-03-03T11:06:40Z,") != NULL);
    CHECK(strstr(csv, "ann@example.com") != NULL && strstr(csv, "cid@example.com") == NULL);
    CHECK(strlen(csv) == bk_string_len(s));
    bk_string_free(s);
    s = NULL;
    CHECK_RESULT(bk_ledger_export(l, BK_EXPORT_FORMAT_JSON, T0, &s, NULL), BK_RESULT_OK);
    const char *json = bk_string_data(s);
    CHECK(json[0] == '[');
    CHECK(strstr(json, "\"address\": \"dee@example.net\"") != NULL);
    CHECK(strstr(json, "\"reason\": \"feedback\"") != NULL);
    bk_string_free(s);
    s = (bk_string *)0x1;
    CHECK_RESULT(bk_ledger_export(l, 2, T0, &s, NULL), BK_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(bk_ledger_export(l, BK_EXPORT_FORMAT_CSV, T0, NULL, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(s == (bk_string *)0x1);
    CHECK(bk_string_data(NULL) == NULL && bk_string_len(NULL) == 0);
    bk_string_free(NULL);

    /* Release: bob came back. Events before the release no longer count. */
    static const char bob[] = "bob@example.com";
    bool rel = false;
    CHECK_RESULT(bk_ledger_release(l, (const uint8_t *)bob, sizeof bob - 1, T0 + 60, &rel), BK_RESULT_OK);
    CHECK(rel);
    CHECK(!suppressed(l, bob, T0 + 120));
    CHECK_RESULT(bk_ledger_release(l, (const uint8_t *)bob, sizeof bob - 1, T0 + 60, &rel), BK_RESULT_OK);
    CHECK(!rel);
    CHECK_RESULT(bk_ledger_release(l, (const uint8_t *)junk, sizeof junk - 1, T0, &rel), BK_RESULT_INVALID_EVENT);
    CHECK_RESULT(bk_ledger_release(l, (const uint8_t *)bob, sizeof bob - 1, T0, NULL), BK_RESULT_NULL_PARAMETER);

    /* Stats. */
    bk_ledger_totals t;
    CHECK_RESULT(bk_ledger_stats(l, T0, &t), BK_RESULT_OK);
    CHECK(t.events == 6);
    CHECK(t.recipients == 4);
    CHECK(t.domains == 2);
    CHECK(t.suppressed == 2); /* ann, dee */
    CHECK(t.first_event == T0 - 2 * DAY && t.last_event == T0);
    CHECK(t.schema_version >= 1);
    CHECK_RESULT(bk_ledger_stats(l, T0, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_stats(NULL, T0, &t), BK_RESULT_NULL_PARAMETER);
    bk_ledger_free(l);
    bk_ledger_free(NULL);
}

/* Many addresses of one domain failing with network errors flag it. */
static void test_domains(void) {
    static const char toml[] = "[domain]\nthreshold = 3\nwindow = \"1d\"\naction = \"suppress\"\n";
    bk_policy *p = NULL;
    bk_ledger *l = NULL;
    CHECK_RESULT(bk_policy_from_toml((const uint8_t *)toml, sizeof toml - 1, &p), BK_RESULT_OK);
    CHECK_RESULT(bk_ledger_open_in_memory(p, &l), BK_RESULT_OK);
    bk_policy_free(p);
    bk_event evs[4] = {ev("a@dead.example", T0, BK_REASON_NETWORKERROR),
                       ev("b@dead.example", T0 + 60, BK_REASON_NETWORKERROR),
                       ev("c@dead.example", T0 + 120, BK_REASON_NETWORKERROR),
                       ev("z@fine.example", T0, BK_REASON_MAILBOXFULL)};
    bk_batch_stats st;
    CHECK_RESULT(bk_ledger_record(l, evs, 2, &st), BK_RESULT_OK);
    CHECK(st.domains_flagged == 0);
    CHECK(!suppressed(l, "never-bounced@dead.example", T0 + 180));
    CHECK_RESULT(bk_ledger_record(l, evs + 2, 2, &st), BK_RESULT_OK);
    CHECK(st.domains_flagged == 1);
    /* Every address of the domain, even one that never bounced. */
    CHECK(suppressed(l, "never-bounced@dead.example", T0 + 180));
    CHECK(!suppressed(l, "z@fine.example", T0 + 180));
    bk_ledger_totals t;
    CHECK_RESULT(bk_ledger_stats(l, T0 + 180, &t), BK_RESULT_OK);
    CHECK(t.flagged_domains == 1);

    bk_string *s = NULL;
    CHECK_RESULT(bk_ledger_domains(l, T0 + 180, 0, &s), BK_RESULT_OK);
    const char *json = bk_string_data(s);
    CHECK(json[0] == '[');
    const char *dead = strstr(json, "\"domain\":\"dead.example\"");
    const char *fine = strstr(json, "\"domain\":\"fine.example\"");
    CHECK(dead != NULL && fine != NULL && dead < fine); /* flagged first */
    CHECK(strstr(json, "\"flagged\":true") != NULL);
    bk_string_free(s);
    s = NULL;
    CHECK_RESULT(bk_ledger_domains(l, T0 + 180, 1, &s), BK_RESULT_OK);
    CHECK(strstr(bk_string_data(s), "fine.example") == NULL);
    bk_string_free(s);
    CHECK_RESULT(bk_ledger_domains(l, T0, 0, NULL), BK_RESULT_NULL_PARAMETER);

    /* The domain recovered. */
    bool rel = false;
    static const char dom[] = "dead.example";
    CHECK_RESULT(bk_ledger_release_domain(l, (const uint8_t *)dom, sizeof dom - 1, T0 + 200, &rel), BK_RESULT_OK);
    CHECK(rel);
    CHECK(!suppressed(l, "never-bounced@dead.example", T0 + 300));
    CHECK_RESULT(bk_ledger_release_domain(l, (const uint8_t *)dom, sizeof dom - 1, T0 + 200, &rel), BK_RESULT_OK);
    CHECK(!rel);
    CHECK_RESULT(bk_ledger_release_domain(l, (const uint8_t *)"  ", 2, T0, &rel), BK_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(bk_ledger_release_domain(l, (const uint8_t *)dom, sizeof dom - 1, T0, NULL), BK_RESULT_NULL_PARAMETER);
    bk_ledger_free(l);
}

/* A ledger file: closed and reopened, it holds what was recorded. */
static void test_file(void) {
    char path[300];
    snprintf(path, sizeof path, "%s/ledger.db", root);
    bk_policy *p = NULL;
    CHECK_RESULT(bk_policy_new_default(&p), BK_RESULT_OK);
    bk_ledger *l = NULL;
    CHECK_RESULT(bk_ledger_open((const uint8_t *)path, strlen(path), p, &l), BK_RESULT_OK);
    bk_event e = ev("gone@example.org", T0, BK_REASON_USERUNKNOWN);
    CHECK_RESULT(bk_ledger_record(l, &e, 1, NULL), BK_RESULT_OK);
    /* A parsed report, recorded: the failed recipient; the delayed one skipped. */
    bk_report *r = NULL;
    CHECK_RESULT(bk_parse((const uint8_t *)DSN, sizeof DSN - 1, &r), BK_RESULT_OK);
    bk_batch_stats st;
    CHECK_RESULT(bk_ledger_record_report(l, r, T0, &st), BK_RESULT_OK);
    CHECK(st.events == 1 && st.skipped == 1);
    CHECK(st.recorded == 1); /* its own time (the DSN's), so not the event above */
    CHECK_RESULT(bk_ledger_record_report(l, r, T0, &st), BK_RESULT_OK);
    CHECK(st.recorded == 0 && st.duplicates == 1);
    CHECK_RESULT(bk_ledger_record_report(NULL, r, T0, &st), BK_RESULT_NULL_PARAMETER);
    bk_report_free(r);
    bk_ledger_free(l);

    l = NULL;
    CHECK_RESULT(bk_ledger_open((const uint8_t *)path, strlen(path), p, &l), BK_RESULT_OK);
    CHECK(suppressed(l, "gone@example.org", T0));
    bk_ledger_totals t;
    CHECK_RESULT(bk_ledger_stats(l, T0, &t), BK_RESULT_OK);
    CHECK(t.events == 2);
    bk_ledger_free(l);

    /* Not a ledger: a text file; an SQLite path in a missing directory. */
    char junk[300];
    snprintf(junk, sizeof junk, "%s/not-a-ledger.db", root);
    FILE *f = fopen(junk, "w");
    CHECK(f != NULL);
    for (int i = 0; i < 200; i++) {
        fputs("this is not an SQLite database at all\n", f);
    }
    fclose(f);
    l = (bk_ledger *)0x1;
    CHECK_RESULT(bk_ledger_open((const uint8_t *)junk, strlen(junk), p, &l), BK_RESULT_LEDGER_ERROR);
    static const char nodir[] = "/nonexistent/dir/ledger.db";
    CHECK_RESULT(bk_ledger_open((const uint8_t *)nodir, sizeof nodir - 1, p, &l), BK_RESULT_LEDGER_ERROR);
    CHECK_RESULT(bk_ledger_open((const uint8_t *)"", 0, p, &l), BK_RESULT_INVALID_PARAMETER);
    CHECK_RESULT(bk_ledger_open((const uint8_t *)path, strlen(path), NULL, &l), BK_RESULT_NULL_PARAMETER);
    CHECK_RESULT(bk_ledger_open((const uint8_t *)path, strlen(path), p, NULL), BK_RESULT_NULL_PARAMETER);
    CHECK(l == (bk_ledger *)0x1);
    bk_policy_free(p);
}

/* 4 threads record 250 events each into one handle: all 1,000 arrive. */
#define WRITERS 4
#define PER_WRITER 250

struct writer {
    bk_ledger *l;
    int id;
    int failures;
};

static void *write_events(void *arg) {
    struct writer *w = (struct writer *)arg;
    char addr[64];
    for (int i = 0; i < PER_WRITER; i++) {
        snprintf(addr, sizeof addr, "w%d-%d@example.com", w->id, i);
        bk_event e = ev(addr, T0 + i, BK_REASON_MAILBOXFULL);
        if (bk_ledger_record(w->l, &e, 1, NULL) != BK_RESULT_OK) {
            w->failures++;
        }
    }
    return NULL;
}

static void test_threads(void) {
    bk_policy *p = NULL;
    bk_ledger *l = NULL;
    CHECK_RESULT(bk_policy_new_default(&p), BK_RESULT_OK);
    char path[300];
    snprintf(path, sizeof path, "%s/threads.db", root);
    CHECK_RESULT(bk_ledger_open((const uint8_t *)path, strlen(path), p, &l), BK_RESULT_OK);
    bk_policy_free(p);
    pthread_t th[WRITERS];
    struct writer w[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (struct writer){l, i, 0};
        CHECK(pthread_create(&th[i], NULL, write_events, &w[i]) == 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        CHECK(w[i].failures == 0);
    }
    bk_ledger_totals t;
    CHECK_RESULT(bk_ledger_stats(l, T0, &t), BK_RESULT_OK);
    CHECK(t.events == WRITERS * PER_WRITER);
    CHECK(t.recipients == WRITERS * PER_WRITER);
    bk_ledger_free(l);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/bk-ledger-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    test_policy();
    test_ledger_record_decide();
    test_domains();
    test_file();
    test_threads();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
    return check_done("test_ledger");
}
