package scheduler

import (
	"errors"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	c, err := Config{Size: 1 << 30}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.PieceSize != DefaultPieceSize || c.ReportInterval != DefaultReportInterval || c.Window != DefaultWindow || c.Logger == nil {
		t.Errorf("defaults not applied: %+v", c)
	}
	// The window is capped in pieces.
	c, err = Config{Size: 1 << 40, PieceSize: 1 << 10, Window: 1 << 40}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.Window != maxWindowPieces<<10 {
		t.Errorf("window %d, want capped at %d pieces", c.Window, maxWindowPieces)
	}
	// A small object gets smaller pieces, but not below the floor.
	for _, tc := range []struct{ size, want uint64 }{
		{64 * DefaultPieceSize, DefaultPieceSize},
		{64 * 100 << 10, 100 << 10},
		{1000, minPieceSize},
		{0, minPieceSize},
	} {
		if got := adaptivePieceSize(tc.size); got != tc.want {
			t.Errorf("adaptivePieceSize(%d) = %d, want %d", tc.size, got, tc.want)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Size: 1 << 62}, "Size"},
		{Config{Size: 1, ReportInterval: -time.Second}, "ReportInterval"},
		{Config{Size: 1, ReportInterval: time.Microsecond}, "ReportInterval"},
		{Config{Size: 1, PieceSize: 1 << 62}, "PieceSize"},
		{Config{Size: 1, PieceSize: 1000}, "PieceSize"},
		{Config{Size: 1, PieceSize: 1 << 20, Window: 1 << 19}, "Window"},
	} {
		_, err := NewDistributor(tc.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewDistributor(%+v) = %v, want a ConfigError for %s", tc.cfg, err, tc.field)
		}
	}
}
