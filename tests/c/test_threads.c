/* Usage: test_threads [ROUNDS] (default 25; the valgrind run uses fewer).
 *
 * Classifies the same texts from 8 threads at once (the default classifier
 * and one shared bk_classifier with user rules) and compares every verdict
 * with the single-threaded one. Also checks that the last error is per
 * thread. */
#include "bouncekit.h"
#include "check.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 8

static const char *const TEXTS[] = {
    "550 5.1.1 <user@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
    "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address.",
    "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [BN8NAM12FT058.eop-nam12.prod.protection.outlook.com]",
    "452 4.2.2 The email account that you tried to reach is over quota.",
    "552 5.2.2 Mailbox full",
    "554 delivery error: dd This user doesn't have a yahoo.com account (user@yahoo.com) [0] - mta1234.mail.gq1.yahoo.com",
    "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
    "550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender and Gmail users, and has been blocked.",
    "550 5.7.25 The IP address sending this message does not have a PTR record setup.",
    "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints",
    "550 5.7.606 Access denied, banned sending IP [192.0.2.1]",
    "Host or domain name not found. Name service error for name=example.invalid type=A: Host not found",
    "550 5.1.6 Recipient addresses in this domain no longer accept mail",
    "554 5.6.0 Message contains invalid header",
    "552 5.3.4 Message size exceeds fixed maximum message size",
    "550 5.7.1 Relaying denied",
    "421 4.4.2 Connection timed out",
    "550 5.2.1 The email account that you tried to reach is disabled.",
    "550 Benutzer unbekannt",
    "550 5.1.1 vip list only",
    "",
    "250 2.0.0 OK",
};
#define NTEXTS (sizeof TEXTS / sizeof TEXTS[0])

static const char *USER_RULES =
    "[[rule]]\nid = \"mine.vip\"\nreason = \"filtered\"\npriority = 100\n"
    "phrases = [\"vip list only\"]\nexamples = [\"550 5.1.1 vip list only\"]\n";

struct verdict {
    bk_reason reason;
    bk_bounce_type bounce_type;
    bk_action action;
    bk_category category;
    uint16_t reply;
    char status[16];
    char rule[128];
};

static struct verdict expected_default[NTEXTS], expected_user[NTEXTS];
static bk_classifier *shared_classifier;
static int rounds = 25;

/* Classifies t with cl (NULL: bk_classify) and records the verdict. */
static int verdict_of(const bk_classifier *cl, const char *t, struct verdict *v) {
    bk_classification *c = NULL;
    bk_result r = cl ? bk_classifier_classify(cl, (const uint8_t *)t, strlen(t), &c)
                     : bk_classify((const uint8_t *)t, strlen(t), &c);
    if (r != BK_RESULT_OK || c == NULL) {
        return 0;
    }
    memset(v, 0, sizeof *v);
    v->reason = bk_classification_reason(c);
    v->bounce_type = bk_classification_bounce_type(c);
    v->action = bk_classification_action(c);
    v->category = bk_classification_category(c);
    v->reply = bk_classification_reply_code(c);
    const char *s = bk_classification_status(c);
    snprintf(v->status, sizeof v->status, "%s", s ? s : "-");
    snprintf(v->rule, sizeof v->rule, "%s", bk_classification_rule(c));
    bk_classification_free(c);
    return 1;
}

static int same(const struct verdict *a, const struct verdict *b) {
    return a->reason == b->reason && a->bounce_type == b->bounce_type && a->action == b->action &&
           a->category == b->category && a->reply == b->reply && strcmp(a->status, b->status) == 0 &&
           strcmp(a->rule, b->rule) == 0;
}

struct job {
    int id;
    int mismatches;
    int errors;
};

static void *worker(void *arg) {
    struct job *job = (struct job *)arg;
    for (int round = 0; round < rounds; round++) {
        for (size_t k = 0; k < NTEXTS; k++) {
            size_t i = (k + (size_t)job->id * 3 + (size_t)round) % NTEXTS;
            const char *t = TEXTS[i];
            struct verdict v;
            if (!verdict_of(NULL, t, &v)) {
                job->errors++;
            } else if (!same(&v, &expected_default[i])) {
                job->mismatches++;
            }
            if (!verdict_of(shared_classifier, t, &v)) {
                job->errors++;
            } else if (!same(&v, &expected_user[i])) {
                job->mismatches++;
            }
        }
        /* The last error is per thread: a failure here is seen here only. */
        char code[16];
        snprintf(code, sizeof code, "5.%d.1", 8 + job->id);
        bk_explanation *e = NULL;
        if (bk_explain((const uint8_t *)code, strlen(code), &e) != BK_RESULT_INVALID_CODE) {
            job->errors++;
        }
        char buf[256];
        size_t w = 0;
        bk_last_error_message(buf, sizeof buf, &w);
        if (strstr(buf, code) == NULL) {
            job->errors++;
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1 && atoi(argv[1]) > 0) {
        rounds = atoi(argv[1]);
    }
    CHECK_RESULT(bk_classifier_new_with_rules((const uint8_t *)USER_RULES, strlen(USER_RULES), &shared_classifier),
                 BK_RESULT_OK);
    for (size_t i = 0; i < NTEXTS; i++) {
        CHECK(verdict_of(NULL, TEXTS[i], &expected_default[i]));
        CHECK(verdict_of(shared_classifier, TEXTS[i], &expected_user[i]));
    }
    /* The user rule changes one verdict, so the two tables differ. */
    CHECK(expected_user[19].reason == BK_REASON_FILTERED);
    CHECK(expected_default[19].reason != BK_REASON_FILTERED);

    pthread_t threads[THREADS];
    struct job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t].id = t;
        jobs[t].mismatches = 0;
        jobs[t].errors = 0;
        CHECK(pthread_create(&threads[t], NULL, worker, &jobs[t]) == 0);
    }
    int mismatches = 0, errors = 0;
    for (int t = 0; t < THREADS; t++) {
        CHECK(pthread_join(threads[t], NULL) == 0);
        mismatches += jobs[t].mismatches;
        errors += jobs[t].errors;
    }
    CHECK(mismatches == 0);
    CHECK(errors == 0);
    /* No thread's failure leaked into this thread's last error. */
    CHECK(bk_last_error_length() == 0);
    bk_classifier_free(shared_classifier);
    printf("test_threads: %d threads x %d rounds x %zu texts x 2 classifiers\n", THREADS, rounds, NTEXTS);
    return check_done("test_threads");
}
