# floatgw — see README.md. Every target runs on a Debian/Ubuntu machine; lab targets need root.
SHELL := /bin/sh
export PATH := /usr/local/go/bin:$(PATH)

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
GOFLAGS_BUILD := -trimpath -ldflags '$(LDFLAGS)'
DIST     := dist
# OpenWrt (cross) builds only: no inlining in any package (-l) keeps the stripped mipsle binary
# about 460-590 KB smaller (measured with Go 1.23.12 and 1.26); it costs some speed in hot loops,
# which floatgw does not have. openwrt-feed/floatgw/Makefile sets the same flag (GO_PKG_GCFLAGS).
CROSS_GCFLAGS := all=-l
# Cross builds use the Go of the OpenWrt 24.10 SDK (the last release that installs .ipk files, which
# is what `make ipk` makes), fetched once by the go command through the module proxy. OpenWrt 25.12
# builds the package as .apk in its own SDK with Go 1.26: `make size` prints that figure as well.
CROSS_GOTOOLCHAIN ?= go1.23.12
# OpenWrt targets: name GOARCH GOARM/GOMIPS. Every OpenWrt build uses -tags openwrt (no D-Bus).
TARGETS  := mipsle:mipsle:softfloat mips:mips:softfloat armv7:arm:7 arm64:arm64: amd64:amd64:
SIZE_BUDGET_MIPSLE := 4194304

IPK_ARCHES := mipsel_24kc:mipsle mips_24kc:mips arm_cortex-a7_neon-vfpv4:armv7 aarch64_generic:arm64 x86_64:amd64
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
export SOURCE_DATE_EPOCH

.PHONY: all build cross size-local ipk bench-go test test-unit test-32bit test-bigendian test-integration lint size demo lab-up lab-down bench deps fuzz clean

all: build

deps:
	@scripts/install-deps

build:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o bin/floatgw ./cmd/floatgw

cross:
	@mkdir -p $(DIST)
	@for t in $(TARGETS); do \
		name=$${t%%:*}; rest=$${t#*:}; arch=$${rest%%:*}; sub=$${rest#*:}; \
		case $$arch in mips|mipsle) env="GOMIPS=$$sub";; arm) env="GOARM=$$sub";; *) env="";; esac; \
		echo "cross linux/$$name"; \
		env GOTOOLCHAIN=$(CROSS_GOTOOLCHAIN) CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $$env $(GO) build -tags openwrt $(GOFLAGS_BUILD) -gcflags '$(CROSS_GCFLAGS)' \
			-o $(DIST)/floatgw-linux-$$name ./cmd/floatgw || exit 1; \
	done

# The README's test command: unit tests, the LuCI checks, and the lab integration tests with real
# keepalived (they skip loudly, never silently, where there is no root or no netns support).
test: deps lint test-unit test-32bit test-bigendian test-integration

test-unit:
	$(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -v /internal/labtest)
	@if [ -x luci-app/tests/run.sh ]; then luci-app/tests/run.sh; fi

# The unit tests again as a 32-bit program (GOARCH=386 runs natively on an x86-64 kernel): the
# layouts 32-bit routers (mipsel, mips, armv7) hand the kernel (sockaddr, sock_fprog, netlink,
# timeval), with real namespaces, packet sockets and netlink.
test-32bit:
	GOARCH=386 CGO_ENABLED=0 $(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -v /internal/labtest)

# The byte-order-sensitive code on a big-endian CPU (ath79 routers are mips_24kc), under
# qemu-user. Skipped there: tests that need the kernel itself (qemu-user does not translate
# netlink for a big-endian guest, so even the standard library's interface lookup fails), that
# re-execute the test binary, or that build floatgw (which would be built for mips).
BE_PKGS := ./ubus ./ubus/ubustest ./uci/... ./internal/jsonx ./internal/config ./internal/drift ./internal/api \
	./internal/flags ./internal/columns ./internal/writers ./internal/doctor ./internal/vrrp ./internal/arp \
	./internal/keepalived ./internal/health
BE_SKIP := TestInterruptedSave|TestScanLab|TestListener|TestProbe|TestDAD|TestWatch|TestIntegration|TestChecksLoopback|TestPingDatagramInNetns|TestChecksTimeoutInNetns|TestConnectTCP4|TestMonitorFlips
test-bigendian:
	@command -v qemu-mips-static >/dev/null || { echo "test-bigendian: qemu-mips-static is missing (scripts/install-deps installs qemu-user-static)" >&2; exit 1; }
	GOARCH=mips GOMIPS=softfloat CGO_ENABLED=0 $(GO) test -tags openwrt -exec qemu-mips-static -p 1 -count=1 -timeout 20m \
		-skip '$(BE_SKIP)' $(BE_PKGS)

test-integration: build
	$(GO) test -count=1 -timeout 20m -v ./internal/labtest/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>/dev/null); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags openwrt ./...
	@scripts/shell-files | xargs -r shellcheck -s sh
	@echo "lint: clean"

# make ipk [ARCH=mipsel_24kc]: installable packages without the SDK (see openwrt-feed/README.md).
ipk: cross
	@found=; for t in $(IPK_ARCHES); do \
		arch=$${t%%:*}; \
		[ -z "$(ARCH)" ] || [ "$(ARCH)" = "$$arch" ] || continue; found=1; \
		$(GO) run ./scripts/ipk -arch $$arch -bin $(DIST)/floatgw-linux-$${t#*:} -out $(DIST) || exit 1; \
	done; \
	[ -n "$$found" ] || { echo "ipk: unknown ARCH=$(ARCH); one of: $(foreach t,$(IPK_ARCHES),$(firstword $(subst :, ,$(t))))" >&2; exit 1; }
	$(GO) run ./scripts/ipk -pkg luci-app-floatgw -out $(DIST)

size: ipk size-local
	@scripts/size $(DIST) $(SIZE_BUDGET_MIPSLE) $(DIST)/go-local/floatgw-linux-mipsle

# The linux/mipsle build with the local Go (OpenWrt 25.12's SDK builds with Go 1.26), for comparison.
size-local:
	@mkdir -p $(DIST)/go-local
	@env GOTOOLCHAIN=local CGO_ENABLED=0 GOOS=linux GOARCH=mipsle GOMIPS=softfloat $(GO) build -tags openwrt $(GOFLAGS_BUILD) \
		-gcflags '$(CROSS_GCFLAGS)' -o $(DIST)/go-local/floatgw-linux-mipsle ./cmd/floatgw

demo: deps build
	scripts/demo

lab-up:
	scripts/lab up

lab-down:
	scripts/lab down

# make bench (root, ~7 min): its own lab (LAB_PREFIX fgw-bench) with real keepalived; floatgw against
# keepalived and the RFC timers, every figure in the same run as its baseline; prints one table and
# writes docs/bench/results.{json,md}. make bench-go runs the Go micro-benchmarks.
bench: deps build cross size-local
	$(GO) run ./scripts/bench -go $(GO) -bin bin/floatgw -dist $(DIST) -out docs/bench

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./...

fuzz:
	@scripts/fuzz-all $${FUZZTIME:-30s}

clean:
	rm -rf bin $(DIST)
