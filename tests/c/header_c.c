/* The header compiles cleanly as C (the test script builds this file as
 * C99 and C11 with -Wall -Wextra -Werror -pedantic) and links. */
#include "bouncekit.h"
#include "bouncekit.h" /* the include guard works */

#include <stdio.h>
#include <string.h>

int main(void) {
    bk_result r = BK_RESULT_OK;
    bk_reason reason = BK_REASON_USERUNKNOWN;
    bk_explanation_list list = BK_EXPLANATION_LIST_CAUSES;
    bk_status_code sc = {5, 1, 1};
    bk_found_codes fc = {true, {5, 1, 1}, 550};
    bk_reason_info info;
    memset(&info, 0, sizeof info);
    (void)list;
    (void)sc;
    (void)fc;
    if (strcmp(bk_version(), BK_VERSION_STRING) != 0) {
        return 1;
    }
    r = bk_reason_get_info(reason, &info);
    printf("header_c: %s %s\n", bk_result_name(r), info.name);
    return r == BK_RESULT_OK ? 0 : 1;
}
