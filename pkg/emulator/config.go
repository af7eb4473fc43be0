package emulator

import (
	"fmt"
	"log/slog"
	"math"
	"time"
)

// Limits that keep a link's arithmetic and memory bounded.
const (
	maxDelay      = 10 * time.Minute
	maxQueueBytes = 1 << 30
	maxBurst      = 1 << 30
)

// Defaults for the zero values of LinkConfig.
const (
	minDefaultQueue = 64 << 10
	minDefaultBurst = 16 << 10
	burstDuration   = 10 * time.Millisecond
)

// LinkConfig describes an emulated link. The zero value is a transparent link:
// unlimited rate, no delay, no loss.
type LinkConfig struct {
	// Rate is the bottleneck rate in bits per second, in each direction.
	// 0 means unlimited.
	Rate int64
	// Delay is the one-way delay added in each direction, so a round trip
	// through the link takes at least 2×Delay. At most 10 minutes.
	Delay time.Duration
	// Loss is the probability, from 0 to 1, that a packet is lost, drawn
	// independently for each packet in each direction.
	Loss float64
	// QueueBytes is the size of the drop-tail queue in front of the token
	// bucket. 0 means one bandwidth-delay product at Rate for the path's
	// round-trip time (the Delay of both directions), and at least 64 KiB.
	// Ignored when Rate is 0. At most 1 GiB.
	QueueBytes int
	// Burst is the depth of the token bucket in bytes: how much an idle link
	// sends at once before pacing starts. 0 means 10 ms worth of Rate, and at
	// least 16 KiB. Ignored when Rate is 0. At most 1 GiB.
	Burst int

	// Up, when set, replaces the fields above for the client → target
	// direction; Down for the target → client direction.
	Up, Down *Shape

	// Seed seeds the random loss; 0 picks a random seed. With a fixed seed a
	// link drops the same packets of the same sequence every run.
	// SetConfig ignores it.
	Seed int64
	// Logger receives debug events (flows opened and closed, socket errors);
	// nil discards them. SetConfig ignores it.
	Logger *slog.Logger
}

// Shape is what one direction of a link does to packets. Its fields mean the
// same as LinkConfig's fields of the same name.
type Shape struct {
	Rate       int64
	Delay      time.Duration
	Loss       float64
	QueueBytes int
	Burst      int
}

// Validate reports the first field that is out of range, as a *ConfigError.
func (c LinkConfig) Validate() error {
	if err := c.symmetric().validate(""); err != nil {
		return err
	}
	if c.Up != nil {
		if err := c.Up.validate("Up."); err != nil {
			return err
		}
	}
	if c.Down != nil {
		if err := c.Down.validate("Down."); err != nil {
			return err
		}
	}
	return nil
}

func (s Shape) validate(prefix string) error {
	bad := func(field, value, reason string) error {
		return &ConfigError{Field: prefix + field, Value: value, Reason: reason}
	}
	switch {
	case s.Rate < 0:
		return bad("Rate", fmt.Sprint(s.Rate), "must be ≥ 0 bits per second (0 means unlimited)")
	case s.Delay < 0 || s.Delay > maxDelay:
		return bad("Delay", s.Delay.String(), "must be between 0 and "+maxDelay.String())
	case math.IsNaN(s.Loss) || s.Loss < 0 || s.Loss > 1:
		return bad("Loss", fmt.Sprint(s.Loss), "must be a probability between 0 and 1 (ParseLoss reads \"1%\")")
	case s.QueueBytes < 0 || s.QueueBytes > maxQueueBytes:
		return bad("QueueBytes", fmt.Sprint(s.QueueBytes), "must be between 0 (default) and 1 GiB")
	case s.Burst < 0 || s.Burst > maxBurst:
		return bad("Burst", fmt.Sprint(s.Burst), "must be between 0 (default) and 1 GiB")
	}
	return nil
}

// clone returns a copy of c that shares no Shape with it.
func (c LinkConfig) clone() LinkConfig {
	if c.Up != nil {
		up := *c.Up
		c.Up = &up
	}
	if c.Down != nil {
		down := *c.Down
		c.Down = &down
	}
	return c
}

// symmetric returns the shape that applies to a direction without override.
func (c LinkConfig) symmetric() Shape {
	return Shape{Rate: c.Rate, Delay: c.Delay, Loss: c.Loss, QueueBytes: c.QueueBytes, Burst: c.Burst}
}

// shapes returns the shapes of the up and down directions.
func (c LinkConfig) shapes() (up, down Shape) {
	up, down = c.symmetric(), c.symmetric()
	if c.Up != nil {
		up = *c.Up
	}
	if c.Down != nil {
		down = *c.Down
	}
	return up, down
}

// params is a Shape with its defaults applied, in the units the shaper uses.
type params struct {
	nsPerByte float64       // transmission time of one byte; 0 = unlimited
	burst     time.Duration // bucket depth, as time at the rate
	queue     time.Duration // queue size, as time at the rate
	delay     time.Duration
	loss      float64
}

// params resolves s for a path whose round-trip delay is rtt.
func (s Shape) params(rtt time.Duration) params {
	p := params{delay: s.Delay, loss: s.Loss}
	if s.Rate == 0 {
		return p
	}
	p.nsPerByte = 8e9 / float64(s.Rate)
	bytesPerSecond := float64(s.Rate) / 8
	queue := float64(s.QueueBytes)
	if queue == 0 {
		queue = max(minDefaultQueue, bytesPerSecond*rtt.Seconds())
	}
	burst := float64(s.Burst)
	if burst == 0 {
		burst = max(minDefaultBurst, bytesPerSecond*burstDuration.Seconds())
	}
	// Both sizes are at most 1 GiB or one round trip, which fits a Duration
	// even at 1 bit/s; saturate anyway so that rounding cannot wrap.
	p.queue = saturatingDuration(queue * p.nsPerByte)
	p.burst = saturatingDuration(burst * p.nsPerByte)
	return p
}

// saturatingDuration converts ns to a Duration, clamping instead of
// overflowing.
func saturatingDuration(ns float64) time.Duration {
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}
