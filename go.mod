module github.com/floatgw/floatgw

go 1.23.0

require (
	github.com/godbus/dbus/v5 v5.1.0
	github.com/google/go-cmp v0.7.0
	github.com/mdlayher/netlink v1.8.0
	github.com/mdlayher/socket v0.5.1
	github.com/valyala/fastjson v1.6.7
	golang.org/x/net v0.43.0
	golang.org/x/sync v0.14.0
	golang.org/x/sys v0.35.0
)
