package main

import (
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeMetrics scrapes a primary's --metrics on loopback after a
// download through it and a secondary, and after a failed join.
func TestServeMetrics(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	root, dir := t.TempDir(), t.TempDir()
	servedFile(t, root, "f.bin", 4<<20)
	sec := serveInProcess(t, ctx, nil, "--role", "secondary", "--root", root, "--listen", "127.0.0.1:0")
	secAddr := sec.info["listening"]
	pri := serveInProcess(t, ctx, map[string]string{groupKeyEnv: sec.info["group-key"]}, "--role", "primary", "--root", root,
		"--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--secondary", secAddr+"="+sec.info["pin"])
	url := pri.info["metrics"]
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("the primary printed metrics %q; want its URL", url)
	}
	if code, _, stderr := getInProcess(t, ctx, "--pin", pri.info["pin"], pri.info["listening"], "f.bin", "-o", filepath.Join(dir, "f")); code != exitOK {
		t.Fatalf("get: exit %d: %s", code, stderr)
	}
	scrape := func() string {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("scrape: %s, %v", resp.Status, err)
		}
		return string(b)
	}
	value := func(body, series string) float64 {
		t.Helper()
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			return -1
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	body := scrape()
	if v := value(body, `kwik_sessions_total{role="primary"}`); v != 1 {
		t.Errorf("kwik_sessions_total{role=\"primary\"} = %v; want 1\n%s", v, body)
	}
	// The client may still be closing; either way its paths count.
	if v := value(body, `kwik_path_bytes_total{direction="sent",server="self"}`); v <= 0 {
		t.Errorf("the primary's own path sent %v bytes; want > 0\n%s", v, body)
	}
	if v := value(body, `kwik_path_bytes_total{direction="received",server="`+secAddr+`"}`); v < 0 {
		t.Errorf("no byte series for the secondary %s\n%s", secAddr, body)
	}
	if !strings.Contains(body, "go_goroutines") {
		t.Error("no Go runtime metrics")
	}
	if v := value(body, `kwik_secondary_join_failures_total{secondary="`+secAddr+`"}`); v > 0 {
		t.Errorf("%v join failures counted for a secondary that joined", v)
	}
}
