package session

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kwik-transport/kwik/internal/data"
	"github.com/kwik-transport/kwik/internal/stream"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

func TestConfigDefaults(t *testing.T) {
	for _, c := range []*Config{nil, {}} {
		d, err := c.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		want := Config{
			HandshakeTimeout: 10 * time.Second, KeepAlivePeriod: time.Second, MaxIdleTimeout: 5 * time.Second,
			MaxIncomingStreams: 100, LanesPerPath: data.DefaultLanesPerPath, MaxFrameSize: stream.DefaultMaxFrameSize,
			PathTokenTTL: 30 * time.Second, ReportInterval: 25 * time.Millisecond, EventBuffer: 256,
		}
		got := *d
		if got.Logger == nil {
			t.Fatal("no default logger")
		}
		got.Logger = nil
		if got.HandshakeTimeout != want.HandshakeTimeout || got.KeepAlivePeriod != want.KeepAlivePeriod ||
			got.MaxIdleTimeout != want.MaxIdleTimeout || got.MaxIncomingStreams != want.MaxIncomingStreams ||
			got.LanesPerPath != want.LanesPerPath || got.MaxFrameSize != want.MaxFrameSize ||
			got.PathTokenTTL != want.PathTokenTTL || got.ReportInterval != want.ReportInterval || got.EventBuffer != want.EventBuffer {
			t.Fatalf("defaults %+v, want %+v", got, want)
		}
		if d.MaxPaths != 8 {
			t.Fatalf("MaxPaths default %d, want 8", d.MaxPaths)
		}
		if d.initialStreamWindow() != presentation.DefaultMinStreamWindow {
			t.Fatalf("initial stream window %d", d.initialStreamWindow())
		}
	}
	c := &Config{MaxIdleTimeout: time.Minute, Logger: slog.Default()}
	d, _ := c.withDefaults()
	if d.MaxIdleTimeout != time.Minute || d.Logger != slog.Default() || c.HandshakeTimeout != 0 {
		t.Fatal("withDefaults overrode a set field or modified its receiver")
	}
	d, _ = (&Config{Presentation: &presentation.PresentationConfig{MinStreamWindow: 1000, InitialStreamWindow: 2000}}).withDefaults()
	if d.initialStreamWindow() != 1000 {
		t.Fatalf("initial stream window %d, want the presentation's minimum", d.initialStreamWindow())
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		conf Config
		want []string
	}{
		{"negative timeouts", Config{HandshakeTimeout: -1, KeepAlivePeriod: -1, MaxIdleTimeout: -1},
			[]string{"Config.HandshakeTimeout is -1ns, want > 0", "Config.KeepAlivePeriod", "Config.MaxIdleTimeout"}},
		{"streams", Config{MaxIncomingStreams: -5}, []string{"Config.MaxIncomingStreams is -5, want > 0"}},
		{"lanes", Config{LanesPerPath: 65}, []string{"Config.LanesPerPath is 65, want 1..64"}},
		{"frame size", Config{MaxFrameSize: 2 << 20}, []string{"Config.MaxFrameSize is 2097152, want 1..1048576"}},
		{"token TTL and events", Config{PathTokenTTL: -time.Second, EventBuffer: -1}, []string{"Config.PathTokenTTL", "Config.EventBuffer"}},
		{"paths", Config{MaxPaths: -1}, []string{"Config.MaxPaths is -1, want > 0"}},
		{"short group key", Config{ServerGroupKey: []byte("secret")}, []string{"Config.ServerGroupKey is 6 bytes, want at least 32 random bytes"}},
		{"presentation", Config{Presentation: &presentation.PresentationConfig{BackpressureHighWater: 2}}, []string{"Config.Presentation", "BackpressureHighWater"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.conf.withDefaults()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}
