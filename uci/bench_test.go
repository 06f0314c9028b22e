package uci

import (
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkParseFirewall(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(samplesDir(b), "real", "openwrt-firewall.config"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		if _, err := Parse("firewall", src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSetFirewall(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(samplesDir(b), "real", "openwrt-firewall.config"))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		p, _ := Parse("firewall", src)
		if err := p.Set("@zone[0]", "input", "REJECT"); err != nil {
			b.Fatal(err)
		}
	}
}
