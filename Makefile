# The C library: build, install, test.
#
#   make                         build libbouncekit.{a,so} (release) into $(DIST)
#   make install PREFIX=/opt/bk  install lib/, include/ and lib/pkgconfig/bouncekit.pc
#   make uninstall PREFIX=...
#   make test-c test-go          the C and Go suites (scripts/test-c.sh, scripts/test-go.sh)
#
# DESTDIR is honoured for staged installs. Cargo builds into
# $(CARGO_TARGET_DIR) (default ./target).

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=
CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR
DIST ?= $(CARGO_TARGET_DIR)/bouncekit-c

.PHONY: all lib install uninstall test-c test-go clean-c

all: lib

lib:
	bash capi/build-dist.sh "$(DIST)"

install: lib
	@set -e; \
	v="$$(cat "$(DIST)/VERSION")"; major="$${v%%.*}"; \
	install -d "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(INCLUDEDIR)" "$(DESTDIR)$(PKGCONFIGDIR)"; \
	install -m 644 "$(DIST)/include/bouncekit.h" "$(DESTDIR)$(INCLUDEDIR)/bouncekit.h"; \
	install -m 644 "$(DIST)/lib/libbouncekit.a" "$(DESTDIR)$(LIBDIR)/libbouncekit.a"; \
	install -m 755 "$(DIST)/lib/libbouncekit.so.$$v" "$(DESTDIR)$(LIBDIR)/libbouncekit.so.$$v"; \
	ln -sfn "libbouncekit.so.$$v" "$(DESTDIR)$(LIBDIR)/libbouncekit.so.$$major"; \
	ln -sfn "libbouncekit.so.$$major" "$(DESTDIR)$(LIBDIR)/libbouncekit.so"; \
	sed -e "s|@PREFIX@|$(PREFIX)|g" -e "s|@LIBDIR@|$(LIBDIR)|g" \
	    -e "s|@INCLUDEDIR@|$(INCLUDEDIR)|g" -e "s|@VERSION@|$$v|g" \
	    -e "s|@NATIVE_STATIC_LIBS@|$$(cat "$(DIST)/native-static-libs")|g" \
	    capi/bouncekit.pc.in >"$(DESTDIR)$(PKGCONFIGDIR)/bouncekit.pc"; \
	echo "installed bouncekit $$v under $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f "$(DESTDIR)$(INCLUDEDIR)/bouncekit.h" "$(DESTDIR)$(LIBDIR)/libbouncekit.a" \
	      "$(DESTDIR)$(LIBDIR)"/libbouncekit.so* "$(DESTDIR)$(PKGCONFIGDIR)/bouncekit.pc"

test-c:
	bash scripts/test-c.sh

test-go:
	bash scripts/test-go.sh

clean-c:
	rm -rf "$(DIST)"
