package emulator

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	valid := []LinkConfig{
		{},
		{Rate: 20_000_000, Delay: 10 * time.Millisecond, Loss: 0.01, QueueBytes: 1 << 20, Burst: 1 << 14, Seed: 3},
		{Loss: 1, Delay: maxDelay},
		{Up: &Shape{Rate: 1}, Down: &Shape{Loss: 0.5}},
	}
	for _, c := range valid {
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", c, err)
		}
	}
	for _, tc := range []struct {
		cfg   LinkConfig
		field string
	}{
		{LinkConfig{Rate: -1}, "Rate"},
		{LinkConfig{Delay: -time.Millisecond}, "Delay"},
		{LinkConfig{Delay: maxDelay + 1}, "Delay"},
		{LinkConfig{Loss: 1.01}, "Loss"},
		{LinkConfig{Loss: -0.1}, "Loss"},
		{LinkConfig{Loss: math.NaN()}, "Loss"},
		{LinkConfig{QueueBytes: -1}, "QueueBytes"},
		{LinkConfig{QueueBytes: maxQueueBytes + 1}, "QueueBytes"},
		{LinkConfig{Burst: -1}, "Burst"},
		{LinkConfig{Up: &Shape{Rate: -5}}, "Up.Rate"},
		{LinkConfig{Down: &Shape{Loss: 2}}, "Down.Loss"},
	} {
		err := tc.cfg.Validate()
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("Validate(%+v) = %v, want a *ConfigError on %s", tc.cfg, err, tc.field)
		}
	}
}

func TestDefaults(t *testing.T) {
	// 80 Mbit/s is 10 MB/s: 10 ns per byte.
	const rate = 80_000_000
	perByte := time.Second * 8 / rate

	// A 100 ms round trip holds 1 MB: that is the default queue.
	p := Shape{Rate: rate, Delay: 50 * time.Millisecond}.params(100 * time.Millisecond)
	if want := 1_000_000 * perByte; p.queue != want {
		t.Errorf("default queue %v, want one bandwidth-delay product %v", p.queue, want)
	}
	if want := 10 * time.Millisecond; p.burst != want {
		t.Errorf("default burst %v, want %v of rate", p.burst, want)
	}
	// Short paths and slow rates get the minimums.
	p = Shape{Rate: 1_000_000}.params(0)
	if want := minDefaultQueue * 8 * time.Microsecond; p.queue != want {
		t.Errorf("default queue on a short path %v, want 64 KiB at rate = %v", p.queue, want)
	}
	if want := minDefaultBurst * 8 * time.Microsecond; p.burst != want {
		t.Errorf("default burst at a slow rate %v, want 16 KiB at rate = %v", p.burst, want)
	}
	// Explicit values win.
	p = Shape{Rate: rate, QueueBytes: 1000, Burst: 500}.params(time.Second)
	if p.queue != 1000*perByte || p.burst != 500*perByte {
		t.Errorf("explicit queue and burst became %v and %v", p.queue, p.burst)
	}
	if p := (Shape{}).params(time.Second); p.nsPerByte != 0 {
		t.Errorf("rate 0 resolved to %v ns per byte, want unlimited", p.nsPerByte)
	}
}

func TestDirectionOverrides(t *testing.T) {
	cfg := LinkConfig{
		Rate:  10_000_000,
		Delay: 5 * time.Millisecond,
		Down:  &Shape{Rate: 80_000_000, Delay: 45 * time.Millisecond},
	}
	up, down := cfg.params()
	if up.delay != cfg.Delay || up.nsPerByte != 800 {
		t.Errorf("up resolved to %+v, want the symmetric fields", up)
	}
	if down.delay != cfg.Down.Delay || down.nsPerByte != 100 {
		t.Errorf("down resolved to %+v, want the override", down)
	}
	// The default queue covers the path's round trip: both delays.
	if want := 50 * time.Millisecond; down.queue != want {
		t.Errorf("down queue %v, want one round trip %v at its rate", down.queue, want)
	}
}

func TestDelayLineWrapsAndGrows(t *testing.T) {
	var l delayLine
	pushed, popped, inBytes := 0, 0, 0
	push := func() {
		pushed++
		p := &packet{buf: make([]byte, pushed%7), due: time.Duration(pushed)}
		inBytes += len(p.buf)
		l.push(p)
	}
	pop := func() {
		p := l.pop()
		popped++
		if p.due != time.Duration(popped) {
			t.Fatalf("popped packet %v, want %d: FIFO order broken", p.due, popped)
		}
		inBytes -= len(p.buf)
	}
	// Interleave pushes and pops so that the ring wraps before it grows.
	for round := range 50 {
		for range round {
			push()
		}
		for range round / 2 {
			pop()
		}
		if l.len != pushed-popped || l.bytes != inBytes {
			t.Fatalf("round %d: len %d bytes %d, want %d and %d", round, l.len, l.bytes, pushed-popped, inBytes)
		}
	}
	for l.peek() != nil {
		pop()
	}
	if popped != pushed || l.bytes != 0 || l.pop() != nil {
		t.Fatalf("after draining: popped %d of %d, %d bytes left", popped, pushed, l.bytes)
	}
}
