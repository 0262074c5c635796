// The header compiles cleanly as C++ (the test script builds this file as
// C++11 and C++17 with -Wall -Wextra -Werror -pedantic) and links: the
// declarations are extern "C" and the enums are typed uint32_t.
#include "bouncekit.h"

#include <cstdio>
#include <cstring>
#include <memory>

struct ClassificationDeleter {
    void operator()(bk_classification *c) const { bk_classification_free(c); }
};

int main() {
    static_assert(sizeof(bk_reason) == 4, "bk_reason is 32-bit");
    static_assert(sizeof(bk_result) == 4, "bk_result is 32-bit");
    if (std::strcmp(bk_version(), BK_VERSION_STRING) != 0) {
        return 1;
    }
    const char text[] = "550 5.1.1 user unknown";
    bk_classification *raw = nullptr;
    bk_result r = bk_classify(reinterpret_cast<const uint8_t *>(text), sizeof text - 1, &raw);
    std::unique_ptr<bk_classification, ClassificationDeleter> c(raw);
    if (r != BK_RESULT_OK || bk_classification_reason(c.get()) != BK_REASON_USERUNKNOWN) {
        return 1;
    }
    std::printf("header_cxx: %s\n", bk_reason_name(bk_classification_reason(c.get())));
    return 0;
}
