module github.com/floatgw/floatgw

go 1.23.0

require github.com/spf13/pflag v1.0.10
