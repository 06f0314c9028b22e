module github.com/floatgw/floatgw

go 1.23.0

require github.com/spf13/pflag v1.0.10

require (
	github.com/godbus/dbus/v5 v5.1.0 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/mdlayher/netlink v1.8.0 // indirect
	github.com/mdlayher/socket v0.5.1 // indirect
	github.com/valyala/fastjson v1.6.7 // indirect
	golang.org/x/net v0.43.0 // indirect
	golang.org/x/sync v0.14.0 // indirect
	golang.org/x/sys v0.35.0 // indirect
)
