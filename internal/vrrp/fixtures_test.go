package vrrp

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

type pcapRecord struct {
	sec, usec uint32
	data      []byte
}

// readPcap reads a classic little-endian microsecond pcap file.
func readPcap(t testing.TB, path string) []pcapRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian microsecond pcap", path)
	}
	if lt := binary.LittleEndian.Uint32(b[20:]); lt != 1 {
		t.Fatalf("%s: link type %d, want Ethernet", path, lt)
	}
	var recs []pcapRecord
	for off := 24; off < len(b); {
		if len(b)-off < 16 {
			t.Fatalf("%s: truncated record header at %d", path, off)
		}
		incl := int(binary.LittleEndian.Uint32(b[off+8:]))
		if len(b)-off-16 < incl {
			t.Fatalf("%s: truncated record at %d", path, off)
		}
		recs = append(recs, pcapRecord{
			sec:  binary.LittleEndian.Uint32(b[off:]),
			usec: binary.LittleEndian.Uint32(b[off+4:]),
			data: b[off+16 : off+16+incl],
		})
		off += 16 + incl
	}
	return recs
}

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

func (r pcapRecord) ts() string { return fmt.Sprintf("%d.%06d", r.sec, r.usec) }

// ipPayload returns the IPv4 packet of an Ethernet frame, or nil.
func ipPayload(frame []byte) []byte {
	if len(frame) < 14 || binary.BigEndian.Uint16(frame[12:14]) != 0x0800 {
		return nil
	}
	return frame[14:]
}

func filepathStat(p string) (os.FileInfo, error) { return os.Stat(p) }
