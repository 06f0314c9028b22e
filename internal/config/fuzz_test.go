package config

import (
	"os"
	"testing"

	"github.com/floatgw/floatgw/uci"
)

// FuzzParse: any UCI text either fails to parse as UCI, or Parse returns a
// Config or a non-empty list of named problems; never a panic, never both.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/floatgw.reference"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(Minimal))
	f.Add([]byte("config floatgw 'main'\n\tlist vip '192.168.1.254/24'\n\toption version 3\n\toption advert_int 0.05\n\tlist peer 192.168.1.3\nconfig health\nconfig check\n\toption type http\n\toption target x.y\n\toption expect 204\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := uci.Parse("floatgw", in)
		if err != nil {
			return
		}
		c, err := Parse(p, lanEnv)
		if (c == nil) == (err == nil) {
			t.Fatalf("config %v with error %v", c, err)
		}
		if err != nil && len(Problems(err)) == 0 {
			t.Fatalf("error without problems: %v", err)
		}
		if c != nil && c.Enabled && (len(c.VIPs) == 0 || c.Priority < 1 || c.Priority > 254 || c.VRID < 1 || c.VRID > 255) {
			t.Fatalf("invalid config accepted: %+v", c)
		}
	})
}
