# Stub of OpenWrt's include/package.mk for make -n tests (see README.md).
PKG_BUILD_DIR?=$(BUILD_DIR)/$(PKG_NAME)$(if $(PKG_VERSION),-$(PKG_VERSION))
PKG_INSTALL_DIR?=$(PKG_BUILD_DIR)/ipkg-install
PKG_ASLR_PIE?=1
VERSION=$(PKG_VERSION)$(if $(PKG_RELEASE),-$(PKG_RELEASE))

define Build/Prepare
	mkdir -p $(PKG_BUILD_DIR)
endef

define Build/Configure
endef

define Build/Compile
	$(MAKE) -C $(PKG_BUILD_DIR)
endef

# deps turns DEPENDS into package names: +pkg → pkg, @CONDITION dropped.
deps=$(patsubst +%,%,$(filter-out @%,$(1)))

define BuildPackage
$(eval $(Package/$(1)))
.PHONY: compile compile-$(1)
compile: compile-$(1)
compile-$(1):
	: control Package=$(1) Version=$(if $(VERSION_OVERRIDE),$(VERSION_OVERRIDE),$(VERSION)) Depends=$(strip $(call deps,$(DEPENDS))) Section=$(SECTION) Architecture=$(if $(PKGARCH),$(PKGARCH),$(ARCH_PACKAGES))
	$(call Build/Prepare)
	$(call Build/Configure)
	$(call Build/Compile)
	$(call Package/$(1)/install,$(PKG_BUILD_DIR)/ipkg-$(if $(PKGARCH),$(PKGARCH),$(ARCH_PACKAGES))/$(1))
	: conffiles $(strip $(Package/$(1)/conffiles))
endef
