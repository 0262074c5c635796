/* bounce_scan: scan bounce mailboxes into a suppression ledger and print
 * who to stop sending to. An example of the bouncekit C API's scanner,
 * policy and ledger.
 *
 *   bounce_scan list.db bounces/ mail.mbox ~/Maildir
 *   bounce_scan --policy policy.toml --format json list.db bounces/
 *
 * Every message found is recorded in the ledger (created when missing;
 * scanning the same mail again records nothing twice). A message that
 * cannot be read or parsed is reported on stderr and skipped. Then the
 * suppression list is written to stdout (CSV by default) and the totals
 * to stderr.
 *
 * Build: see docs/c.md (cc ... -lbouncekit). */
#include <bouncekit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void print_error(const char *what, bk_result r) {
    char msg[512];
    size_t written = 0;
    bk_last_error_message(msg, sizeof msg, &written);
    fprintf(stderr, "bounce_scan: %s: %s (%s)\n", what, msg, bk_result_name(r));
}

static int usage(void) {
    fprintf(stderr, "usage: bounce_scan [--policy FILE.toml] [--format csv|json] LEDGER.db PATH...\n");
    return 2;
}

int main(int argc, char **argv) {
    const char *policy_file = NULL;
    uint32_t format = BK_EXPORT_FORMAT_CSV;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc) {
            return usage();
        }
        if (strcmp(argv[i], "--policy") == 0) {
            policy_file = argv[i + 1];
        } else if (strcmp(argv[i], "--format") == 0 && strcmp(argv[i + 1], "json") == 0) {
            format = BK_EXPORT_FORMAT_JSON;
        } else if (strcmp(argv[i], "--format") != 0 || strcmp(argv[i + 1], "csv") != 0) {
            return usage();
        }
    }
    if (argc - i < 2) {
        return usage();
    }
    int status = 1;
    bk_policy *policy = NULL;
    bk_ledger *ledger = NULL;
    bk_scanner *scanner = NULL;
    bk_result r = policy_file
                      ? bk_policy_from_file((const uint8_t *)policy_file, strlen(policy_file), &policy)
                      : bk_policy_new_default(&policy);
    if (r != BK_RESULT_OK) {
        print_error("policy", r);
        goto done;
    }
    const char *db = argv[i++];
    if ((r = bk_ledger_open((const uint8_t *)db, strlen(db), policy, &ledger)) != BK_RESULT_OK) {
        print_error("ledger", r);
        goto done;
    }
    /* NULL, NULL: the built-in rules and the default limits. */
    if ((r = bk_scanner_new(NULL, NULL, &scanner)) != BK_RESULT_OK) {
        print_error("scanner", r);
        goto done;
    }
    for (; i < argc; i++) {
        if ((r = bk_scanner_add_path(scanner, (const uint8_t *)argv[i], strlen(argv[i]))) != BK_RESULT_OK) {
            print_error(argv[i], r);
            goto done;
        }
    }
    int64_t now = (int64_t)time(NULL);
    unsigned long messages = 0, skipped = 0, recorded = 0, duplicates = 0;
    for (;;) {
        bk_report *report = NULL;
        r = bk_scanner_next(scanner, &report);
        if (r != BK_RESULT_OK) { /* this message failed; the scan goes on */
            print_error("skipped", r);
            skipped++;
            continue;
        }
        if (report == NULL) { /* every input read */
            break;
        }
        messages++;
        bk_batch_stats st;
        r = bk_ledger_record_report(ledger, report, now, &st);
        if (r == BK_RESULT_OK) {
            recorded += (unsigned long)st.recorded;
            duplicates += (unsigned long)st.duplicates;
        } else {
            print_error(bk_report_source(report), r);
            skipped++;
        }
        bk_report_free(report);
    }
    bk_string *list = NULL;
    size_t count = 0;
    if ((r = bk_ledger_export(ledger, format, now, &list, &count)) != BK_RESULT_OK) {
        print_error("export", r);
        goto done;
    }
    fwrite(bk_string_data(list), 1, bk_string_len(list), stdout);
    bk_string_free(list);
    bk_ledger_totals totals;
    if ((r = bk_ledger_stats(ledger, now, &totals)) != BK_RESULT_OK) {
        print_error("stats", r);
        goto done;
    }
    fprintf(stderr,
            "bounce_scan: %lu messages (%lu skipped): %lu events recorded, %lu already known; "
            "ledger: %llu events, %llu recipients, %llu suppressed (%lu listed)\n",
            messages, skipped, recorded, duplicates, (unsigned long long)totals.events,
            (unsigned long long)totals.recipients, (unsigned long long)totals.suppressed, (unsigned long)count);
    status = 0;
done:
    bk_scanner_free(scanner); /* each _free takes NULL */
    bk_ledger_free(ledger);
    bk_policy_free(policy);
    return status;
}
