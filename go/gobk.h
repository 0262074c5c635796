// Shared by the cgo preambles of this package.
#ifndef GOBK_H
#define GOBK_H

#include <stdlib.h>
#include "bouncekit.h"

// The last error is per OS thread and a goroutine may change threads
// between two cgo calls, so each fallible call and the read of its
// message happen in one C call.
typedef struct {
	char msg[1024];
	size_t len;
} gobk_err;

static inline bk_result gobk_check(bk_result r, gobk_err *e) {
	if (r != BK_RESULT_OK) {
		e->len = 0;
		bk_last_error_message(e->msg, sizeof e->msg, &e->len);
	}
	return r;
}

#endif
