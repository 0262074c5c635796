/* bounce_classify: classify SMTP diagnostics from the command line or
 * stdin, or explain a status code. An example of the bouncekit C API.
 *
 *   bounce_classify "550 5.1.1 user unknown" "452 4.2.2 mailbox full"
 *   bounce_classify < diagnostics.txt        (one diagnostic per line)
 *   bounce_classify --rules my-rules.toml < diagnostics.txt
 *   bounce_classify --explain 5.7.26
 *
 * Output: one tab-separated line per diagnostic:
 *   reason  bounce_type  action  status  rule  text
 *
 * Build: see docs/c.md (cc ... -lbouncekit). */
#include <bouncekit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints the message of the last failed bouncekit call on this thread. */
static void print_error(const char *what, bk_result r) {
    char msg[512];
    size_t written = 0;
    bk_last_error_message(msg, sizeof msg, &written);
    fprintf(stderr, "bounce_classify: %s: %s (%s)\n", what, msg, bk_result_name(r));
}

static int classify_line(const bk_classifier *classifier, const char *line, size_t len) {
    bk_classification *c = NULL;
    bk_result r = bk_classifier_classify(classifier, (const uint8_t *)line, len, &c);
    if (r != BK_RESULT_OK) {
        print_error("classify", r);
        return 1;
    }
    const char *status = bk_classification_status(c); /* NULL when there is none */
    printf("%s\t%s\t%s\t%s\t%s\t%.*s\n",
           bk_reason_name(bk_classification_reason(c)),
           bk_bounce_type_name(bk_classification_bounce_type(c)),
           bk_action_name(bk_classification_action(c)),
           status ? status : "-",
           bk_classification_rule(c),
           (int)len, line);
    bk_classification_free(c); /* the strings above die here */
    return 0;
}

static int explain(const char *code) {
    bk_explanation *e = NULL;
    bk_result r = bk_explain((const uint8_t *)code, strlen(code), &e);
    if (r != BK_RESULT_OK) {
        print_error("explain", r);
        return 1;
    }
    printf("%s (%s): %s\n", bk_explanation_code(e), bk_explanation_registry_key(e), bk_explanation_name(e));
    printf("  %s; reason %s, %s bounce, action %s\n", bk_explanation_permanence(e),
           bk_reason_name(bk_explanation_reason(e)), bk_bounce_type_name(bk_explanation_bounce_type(e)),
           bk_action_name(bk_explanation_action(e)));
    printf("  %s\n", bk_explanation_summary(e));
    static const struct { bk_explanation_list list; const char *title; } lists[] = {
        {BK_EXPLANATION_LIST_CAUSES, "Common causes"},
        {BK_EXPLANATION_LIST_FOR_SENDERS, "For senders"},
        {BK_EXPLANATION_LIST_FOR_DEVELOPERS, "For developers"},
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        size_t n = bk_explanation_list_len(e, lists[i].list);
        if (n == 0) {
            continue;
        }
        printf("  %s:\n", lists[i].title);
        for (size_t j = 0; j < n; j++) {
            printf("    - %s\n", bk_explanation_list_item(e, lists[i].list, j));
        }
    }
    if (bk_explanation_rfc(e) != 0) {
        printf("  Defined in RFC %u\n", bk_explanation_rfc(e));
    }
    bk_explanation_free(e);
    return 0;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
            }
            buf = bigger;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    if (strcmp(bk_version(), BK_VERSION_STRING) != 0) {
        fprintf(stderr, "bounce_classify: header %s but library %s\n", BK_VERSION_STRING, bk_version());
        return 2;
    }
    int arg = 1;
    if (argc == 3 && strcmp(argv[1], "--explain") == 0) {
        return explain(argv[2]);
    }

    bk_classifier *classifier = NULL;
    bk_result r;
    if (argc >= 3 && strcmp(argv[1], "--rules") == 0) {
        size_t len = 0;
        char *rules = read_file(argv[2], &len);
        if (rules == NULL) {
            perror(argv[2]);
            return 2;
        }
        r = bk_classifier_new_with_rules((const uint8_t *)rules, len, &classifier);
        free(rules);
        arg = 3;
    } else {
        r = bk_classifier_new(&classifier);
    }
    if (r != BK_RESULT_OK) {
        print_error("rules", r);
        return 2;
    }

    int failures = 0;
    if (arg < argc) {
        for (; arg < argc; arg++) {
            failures += classify_line(classifier, argv[arg], strlen(argv[arg]));
        }
    } else {
        char line[65536];
        while (fgets(line, sizeof line, stdin) != NULL) {
            size_t len = strcspn(line, "\r\n");
            if (len > 0) {
                failures += classify_line(classifier, line, len);
            }
        }
    }
    bk_classifier_free(classifier);
    return failures == 0 ? 0 : 1;
}
