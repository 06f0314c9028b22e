# Stub of the packages feed's lang/golang/golang-package.mk (with the parts
# of golang-values.mk it needs) for make -n tests (see README.md).
GO_OS:=linux
GO_ARCH:=$(or $(if $(filter mipsel,$(ARCH)),mipsle),$(if $(filter aarch64,$(ARCH)),arm64),$(if $(filter x86_64,$(ARCH)),amd64),$(ARCH))
GO_MIPS:=$(if $(filter mips mipsle,$(GO_ARCH)),$(if $(CONFIG_HAS_FPU),hardfloat,softfloat))
GO_ARM:=$(if $(filter arm,$(GO_ARCH)),$(if $(findstring +,$(CPU_TYPE)),7,5))
GO_ARM64:=$(if $(filter arm64,$(GO_ARCH)),v8.0)
GO_AMD64:=$(if $(filter amd64,$(GO_ARCH)),v1)
GO_ARCH_DEPENDS:=@(aarch64||arm||i386||i686||loongarch64||mips||mips64||mips64el||mipsel||riscv64||x86_64)

GO_PKG_BUILD_PKG?=$(GO_PKG)/...
GO_PKG_INSTALL_BIN_PATH?=/usr/bin
GO_PKG_BUILD_DIR=$(PKG_BUILD_DIR)/.go_work/build
GO_PKG_BUILD_BIN_DIR=$(GO_PKG_BUILD_DIR)/bin/$(GO_OS)_$(GO_ARCH)

ifdef CONFIG_PKG_ASLR_PIE_ALL
  ifeq ($(strip $(PKG_ASLR_PIE)),1)
    GO_PKG_ENABLE_PIE:=1
  endif
endif

GO_PKG_TARGET_VARS= \
	GOOS="$(GO_OS)" \
	GOARCH="$(GO_ARCH)" \
	GOARM="$(GO_ARM)" \
	GOARM64="$(GO_ARM64)" \
	GOAMD64="$(GO_AMD64)" \
	GOMIPS="$(GO_MIPS)" \
	CGO_ENABLED=1 \
	CC="$(TARGET_CC)" \
	CGO_CFLAGS="$(TARGET_CFLAGS)" \
	CGO_LDFLAGS="$(TARGET_LDFLAGS)"

GO_PKG_BUILD_VARS= \
	GOPATH="$(GO_PKG_BUILD_DIR)" \
	GOMODCACHE="$(DL_DIR)/go-mod-cache" \
	GOENV=off \
	GOTOOLCHAIN=local

GO_PKG_VARS= \
	$(GO_PKG_TARGET_VARS) \
	$(GO_PKG_BUILD_VARS)

GO_PKG_DEFAULT_LDFLAGS= \
	-linkmode external \
	-extldflags '$(TARGET_LDFLAGS)'

GO_PKG_CUSTOM_LDFLAGS= \
	$(GO_PKG_LDFLAGS) \
	$(patsubst %,-X %,$(GO_PKG_LDFLAGS_X))

GO_PKG_INSTALL_ARGS= \
	-trimpath \
	-ldflags "all=$(GO_PKG_DEFAULT_LDFLAGS)" \
	$(if $(GO_PKG_ENABLE_PIE),-buildmode pie) \
	$(if $(strip $(GO_PKG_CUSTOM_LDFLAGS)),-ldflags "$(GO_PKG_CUSTOM_LDFLAGS) $(GO_PKG_DEFAULT_LDFLAGS)") \
	$(if $(strip $(GO_PKG_TAGS)),-tags "$(GO_PKG_TAGS)")

define GoPackage/Build/Configure
	: copy the Go sources of $(PKG_BUILD_DIR) to $(GO_PKG_BUILD_DIR)/src/$(GO_PKG)
endef

define GoPackage/Build/Compile
	cd $(GO_PKG_BUILD_DIR) && env $(GO_PKG_VARS) go install $(GO_PKG_INSTALL_ARGS) $(GO_PKG_BUILD_PKG)
endef

define GoPackage/Package/Install/Bin
	$(INSTALL_DIR) $(1)$(GO_PKG_INSTALL_BIN_PATH)
	$(INSTALL_BIN) $(GO_PKG_BUILD_BIN_DIR)/* $(1)$(GO_PKG_INSTALL_BIN_PATH)/
endef

ifneq ($(strip $(GO_PKG)),)
  Build/Configure=$(call GoPackage/Build/Configure)
  Build/Compile=$(call GoPackage/Build/Compile)
endif

define GoBinPackage
  ifndef Package/$(1)/install
    Package/$(1)/install=$$(call GoPackage/Package/Install/Bin,$$(1))
  endif
endef
