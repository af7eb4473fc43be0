package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// demoReport is the demo's summary; --json prints it as is.
type demoReport struct {
	OK               bool         `json:"ok"`
	Error            string       `json:"error,omitempty"`
	Object           string       `json:"object"`
	Size             int64        `json:"size_bytes"`
	PieceSize        uint64       `json:"piece_size_bytes,omitempty"` // 0: chosen by the scheduler
	SHA256           string       `json:"sha256"`
	Received         int64        `json:"received_bytes"`
	ChecksumMatch    bool         `json:"checksum_match"`
	Seconds          float64      `json:"elapsed_seconds"`    // from dialling to the last byte
	FirstByteSeconds float64      `json:"first_byte_seconds"` // from dialling to the response header
	GoodputBPS       float64      `json:"goodput_bps"`        // size over elapsed, in bits per second
	ConfiguredBPS    int64        `json:"configured_bps,omitempty"`
	GoodputRatio     float64      `json:"goodput_ratio,omitempty"` // goodput over the configured sum
	DuplicateBytes   int64        `json:"duplicate_bytes"`         // received twice, by work stealing
	Paths            []pathReport `json:"paths"`

	err error
}

// pathReport is one path's line of the summary.
type pathReport struct {
	Index         int     `json:"index"` // 0 is the primary
	Role          string  `json:"role"`
	PathID        *uint64 `json:"path_id,omitempty"` // the KWIK path ID, once the path exists
	Server        string  `json:"server"`            // the server's own address
	Address       string  `json:"address"`           // the address dialled: its link's, if emulated
	State         string  `json:"state"`
	Error         string  `json:"error,omitempty"`
	Bytes         int64   `json:"bytes"` // object bytes the client received through it
	Share         float64 `json:"share"` // of the bytes received through all paths
	BPS           float64 `json:"throughput_bps"`
	Emulated      bool    `json:"emulated"`
	RateBPS       int64   `json:"rate_bps,omitempty"`
	DelayMS       float64 `json:"delay_ms,omitempty"`
	Loss          float64 `json:"loss,omitempty"`
	Killed        bool    `json:"killed"`
	KilledSeconds float64 `json:"killed_at_seconds,omitempty"`
	LostSeconds   float64 `json:"lost_at_seconds,omitempty"` // when the primary saw it dead
}

// fail records err and returns r.
func (r *demoReport) fail(err error) *demoReport {
	r.OK = false
	r.err = err
	r.Error = err.Error()
	return r
}

// fill completes the report from the demo's paths and the last sample.
func (r *demoReport) fill(d *demo, s sample) {
	var sum int64
	allRated := true
	for _, p := range s.paths {
		sum += p.bytes
	}
	for i, dp := range d.paths {
		ps := s.paths[i]
		pr := pathReport{
			Index: dp.index, Role: dp.role, Server: dp.server, Address: dp.addr,
			State: ps.state, Bytes: ps.bytes, Emulated: d.links,
			Killed: dp.killedAt > 0, KilledSeconds: dp.killedAt.Seconds(),
		}
		if ps.known {
			pr.PathID = &ps.id
		}
		if ps.err != nil {
			pr.Error = ps.err.Error()
		}
		if sum > 0 {
			pr.Share = float64(ps.bytes) / float64(sum)
		}
		if r.Seconds > 0 {
			pr.BPS = float64(ps.bytes) * 8 / r.Seconds
		}
		if d.links {
			pr.RateBPS, pr.DelayMS, pr.Loss = dp.shape.Rate, float64(dp.shape.Delay.Microseconds())/1e3, dp.shape.Loss
		}
		if dp.shape.Rate <= 0 || !d.links {
			allRated = false
		}
		r.ConfiguredBPS += pr.RateBPS
		r.Paths = append(r.Paths, pr)
	}
	if mon := d.mon; mon != nil {
		for i := range r.Paths {
			r.Paths[i].LostSeconds = mon.lostAt[i].Seconds()
		}
	}
	r.DuplicateBytes = max(0, sum-r.Received)
	if r.Seconds > 0 {
		r.GoodputBPS = float64(r.Received) * 8 / r.Seconds
	}
	if !allRated {
		r.ConfiguredBPS = 0
	}
	if r.ConfiguredBPS > 0 {
		r.GoodputRatio = r.GoodputBPS / float64(r.ConfiguredBPS)
	}
	r.OK = r.err == nil && r.ChecksumMatch
}

func writeJSON(w io.Writer, r *demoReport) error { return writeJSONValue(w, r) }

// writeJSONValue prints v as indented JSON, the way every --json does.
func writeJSONValue(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeTable prints the report for people. A demo that failed before the
// transfer began has nothing to show: its error says it all.
func writeTable(w io.Writer, r *demoReport) {
	if len(r.Paths) == 0 {
		return
	}
	fmt.Fprintln(w)
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "path\tserver\tstate\tbytes\tshare\tthroughput\tlink")
	for _, p := range r.Paths {
		link := "loopback"
		if p.Emulated {
			link = formatRate(p.RateBPS)
		}
		state := p.State
		if p.Killed {
			state = fmt.Sprintf("%s (cut at %.1fs)", state, p.KilledSeconds)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.1f%%\t%s\t%s\n", p.Index, p.Role, state, formatBytes(p.Bytes), 100*p.Share, formatBitrate(p.BPS), link)
	}
	configured := ""
	if r.ConfiguredBPS > 0 {
		configured = formatRate(r.ConfiguredBPS)
	}
	fmt.Fprintf(tw, "total\t\t\t%s\t\t%s\t%s\n", formatBytes(r.Received), formatBitrate(r.GoodputBPS), configured)
	tw.Flush()
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "time       %.2fs from dialling to the last byte (response header after %.3fs)\n", r.Seconds, r.FirstByteSeconds)
	fmt.Fprintf(w, "goodput    %s", formatBitrate(r.GoodputBPS))
	if r.GoodputRatio > 0 {
		fmt.Fprintf(w, " = %.2f × the %s the paths were given", r.GoodputRatio, formatRate(r.ConfiguredBPS))
	}
	fmt.Fprintln(w)
	if r.DuplicateBytes > 0 {
		fmt.Fprintf(w, "duplicates %s received twice (pieces re-sent near the end or after a path died)\n", formatBytes(r.DuplicateBytes))
	}
	verdict := "MATCHES"
	if !r.ChecksumMatch {
		verdict = fmt.Sprintf("DOES NOT MATCH (received %s of %s)", formatBytes(r.Received), formatBytes(r.Size))
	}
	fmt.Fprintf(w, "sha256     %s %s\n", r.SHA256, verdict)
}
