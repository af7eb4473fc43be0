package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kwik-transport/kwik"
)

// getReport is what get says at the end; --json prints it as is.
type getReport struct {
	OK         bool            `json:"ok"`
	Error      string          `json:"error,omitempty"`
	Object     string          `json:"object"`
	Output     string          `json:"output"` // a file name, or "stdout"
	Size       int64           `json:"size_bytes"`
	Start      int64           `json:"resumed_from_bytes"` // bytes the .part already held
	Received   int64           `json:"received_bytes"`     // object bytes received this time
	SHA256     string          `json:"sha256,omitempty"`   // of the whole file, once complete
	Verified   bool            `json:"sha256_verified"`    // SHA256 is the digest the primary announced
	Seconds    float64         `json:"elapsed_seconds"`    // from dialling to the last byte
	GoodputBPS float64         `json:"goodput_bps"`
	Resume     string          `json:"resume_command,omitempty"`
	Paths      []getPathReport `json:"paths"`
}

// getPathReport is one path's line of the table.
type getPathReport struct {
	PathID  uint64  `json:"path_id"`
	Role    string  `json:"role"`    // "primary" or "secondary"
	Address string  `json:"address"` // the server's, as dialled
	State   string  `json:"state"`
	Error   string  `json:"error,omitempty"`
	Bytes   uint64  `json:"bytes"` // stream bytes received through it, re-sent pieces included
	Share   float64 `json:"share"`
	BPS     float64 `json:"throughput_bps"`
}

func (r *getReport) fail(err error) {
	r.OK = false
	r.Error = err.Error()
}

// addPaths fills the per-path lines from the client session's paths.
func (r *getReport) addPaths(paths []kwik.PathInfo) {
	var sum uint64
	for _, p := range paths {
		sum += p.Stats.BytesReceived
	}
	for _, p := range paths {
		pr := getPathReport{PathID: p.ID, Role: "secondary", Address: p.Address, State: p.State.String(), Bytes: p.Stats.BytesReceived}
		if p.Primary {
			pr.Role = "primary"
		}
		if p.Err != nil {
			pr.Error = p.Err.Error()
		}
		if sum > 0 {
			pr.Share = float64(pr.Bytes) / float64(sum)
		}
		if r.Seconds > 0 {
			pr.BPS = float64(pr.Bytes) * 8 / r.Seconds
		}
		r.Paths = append(r.Paths, pr)
	}
	if r.Seconds > 0 {
		r.GoodputBPS = float64(r.Received) * 8 / r.Seconds
	}
}

// writeText prints the summary for people: one warning line per secondary
// that failed, the table, and the checksum.
func (r *getReport) writeText(w io.Writer) {
	for _, p := range r.Paths {
		if p.Role == "secondary" && p.Error != "" {
			fmt.Fprintf(w, "warning: secondary %s %s: %s\n", p.Address, p.State, p.Error)
		}
	}
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "path\tserver\taddress\tstate\tbytes\tshare\tthroughput")
	for _, p := range r.Paths {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%.1f%%\t%s\n", p.PathID, p.Role, p.Address, p.State, formatBytes(int64(p.Bytes)), 100*p.Share, formatBitrate(p.BPS))
	}
	fmt.Fprintf(tw, "total\t\t\t\t%s\t\t%s\n", formatBytes(r.Received), formatBitrate(r.GoodputBPS))
	tw.Flush()
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
	if !r.OK {
		return
	}
	resumed := ""
	if r.Start > 0 {
		resumed = fmt.Sprintf(" (resumed after %s)", formatBytes(r.Start))
	}
	verified := " (the primary announced no digest: unverified)"
	if r.Verified {
		verified = " verified"
	}
	fmt.Fprintf(w, "%s: %s in %.2fs (%s) to %s%s\nsha256 %s%s\n", r.Object, formatBytes(r.Received), r.Seconds, formatBitrate(r.GoodputBPS), r.Output, resumed, r.SHA256, verified)
}
