package vrrp

import (
	"bufio"
	"encoding/binary"
	"os"
	"regexp"
	"strings"
	"testing"
)

var tsLine = regexp.MustCompile(`^(\d+)\.(\d{6}) `)

// readHexSummaries returns, per packet of a `tcpdump -nn -tt -e -v -xx`
// text, its timestamp and its second (decoded) line.
func readHexSummaries(t testing.TB, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	var ts string
	var want bool
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := tsLine.FindStringSubmatch(line); m != nil {
			ts = m[1] + "." + m[2]
			// ARP and other one-line packets carry their summary here.
			out[ts] = line
			want = strings.Contains(line, "proto VRRP")
			continue
		}
		if want && strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "\t") {
			out[ts] = strings.TrimSpace(line)
			want = false
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ipPayload returns the IPv4 packet of an Ethernet frame, or nil.
func ipPayload(frame []byte) []byte {
	if len(frame) < 14 || binary.BigEndian.Uint16(frame[12:14]) != 0x0800 {
		return nil
	}
	return frame[14:]
}

func filepathStat(p string) (os.FileInfo, error) { return os.Stat(p) }
