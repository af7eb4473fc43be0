// Package bench turns KWIK's claims into repeatable measurements: that it is
// as fast as plain quic-go on one path, that it adds up the capacity of
// several rate-limited paths, that its receive memory stays within its
// window, and that it scales to many streams per session.
//
// It holds only benchmarks and their tests; it exports nothing. They run in
// one process over loopback and the user-space link emulator, against the
// servers kwik serve runs (internal/fileserve), offering synthetic objects
// that need no files (Store). onepath.sh runs the one-path comparison in
// separate processes (cmd/kwikbench), and netns.sh runs kwik serve and
// kwik get against their comparison points in network namespaces shaped by
// tc tbf. run.sh runs everything and prints one table; README.md
// shows it and says which targets were met.
package bench
