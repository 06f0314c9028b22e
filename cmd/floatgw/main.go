// Command floatgw is the floating-gateway daemon and its command-line client.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"
)

func main() {
	fs := pflag.NewFlagSet("floatgw", pflag.ContinueOnError)
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	fmt.Fprintln(os.Stderr, "floatgw: not built yet")
	os.Exit(1)
}
