// Package emulator is a user-space UDP link emulator. It gives each path of a
// KWIK demo, test or benchmark its own rate, one-way delay and random loss.
//
// A [Link] listens on a local UDP address and relays every datagram it
// receives to a target address, from one upstream socket per client address
// (so several clients, or several QUIC connections, can share one link), and
// relays the target's replies back. Each direction applies what a router and
// a wire would: a token bucket at the configured rate fed by a drop-tail
// queue (packets that do not fit are dropped), then a fixed one-way delay that
// keeps packet order, then random loss. [Link.SetConfig] changes a running
// link and [Link.Kill] black-holes it, to emulate a path that degrades or dies.
//
// Why user space: the kernel KWIK is developed and tested on is built
// without the netem qdisc (CONFIG_NET_SCH_NETEM), which would add delay and
// loss. It has tbf, but tbf shapes rate only and needs root, so the scripts
// in bench/ use it only when they can. A relay inside the process needs
// neither root nor a particular kernel, gives every path its own settings,
// changes them at run time and counts what it did to each packet
// ([Link.Stats]). The price is CPU: every datagram crosses user space twice;
// BenchmarkForward measures that cost.
package emulator
