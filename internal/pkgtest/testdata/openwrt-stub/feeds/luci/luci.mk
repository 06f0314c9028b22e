# Stub of the LuCI feed's luci.mk for make -n tests (see README.md).
LUCI_NAME?=$(notdir $(CURDIR))
LUCI_TYPE?=$(word 2,$(subst -, ,$(LUCI_NAME)))
LUCI_BASENAME?=$(patsubst luci-$(LUCI_TYPE)-%,%,$(LUCI_NAME))
LUCI_LANGUAGES:=$(sort $(filter-out templates,$(notdir $(wildcard $(CURDIR)/po/*))))
LUCI_DEFAULTS:=$(notdir $(wildcard $(CURDIR)/root/etc/uci-defaults/*))
LUCI_PKGARCH?=$(if $(realpath src/Makefile),,all)
LUCI_LC_ALIAS.zh_Hans=zh-cn

PKG_NAME?=$(LUCI_NAME)
PKG_RELEASE?=1
PKG_BUILD_DIR:=$(BUILD_DIR)/$(PKG_NAME)

include $(INCLUDE_DIR)/package.mk

define Package/$(PKG_NAME)
  SECTION:=luci
  TITLE:=$(LUCI_TITLE)
  DEPENDS:=$(LUCI_DEPENDS)
  PKGARCH:=$(LUCI_PKGARCH)
endef

define Build/Prepare
	for d in htdocs root; do if [ -d ./$$$$d ]; then mkdir -p $(PKG_BUILD_DIR)/$$$$d; $(CP) ./$$$$d/* $(PKG_BUILD_DIR)/$$$$d/; fi; done
endef

define Build/Compile
endef

define Package/$(PKG_NAME)/install
	if [ -d $(PKG_BUILD_DIR)/htdocs ]; then $(INSTALL_DIR) $(1)/www; cp -pR $(PKG_BUILD_DIR)/htdocs/* $(1)/www/; fi
	if [ -d $(PKG_BUILD_DIR)/root ]; then $(INSTALL_DIR) $(1)/; cp -pR $(PKG_BUILD_DIR)/root/* $(1)/; fi
endef

# 1: LuCI language code, 2: po directory name
define LuciTranslation
  define Package/luci-i18n-$(LUCI_BASENAME)-$(1)
    SECTION:=luci
    DEPENDS:=$(PKG_NAME)
    PKGARCH:=all
    VERSION_OVERRIDE:=$(PKG_PO_VERSION)
  endef
  define Package/luci-i18n-$(LUCI_BASENAME)-$(1)/install
	$$(INSTALL_DIR) $$(1)/usr/lib/lua/luci/i18n
	$(foreach po,$(wildcard $(CURDIR)/po/$(2)/*.po),po2lmo $(po) $$(1)/usr/lib/lua/luci/i18n/$(basename $(notdir $(po))).$(1).lmo;)
  endef
endef

$(foreach lang,$(LUCI_LANGUAGES),$(eval $(call LuciTranslation,$(firstword $(LUCI_LC_ALIAS.$(lang)) $(lang)),$(lang))))
$(eval $(call BuildPackage,$(PKG_NAME)))
$(foreach lang,$(LUCI_LANGUAGES),$(eval $(call BuildPackage,luci-i18n-$(LUCI_BASENAME)-$(firstword $(LUCI_LC_ALIAS.$(lang)) $(lang)))))
