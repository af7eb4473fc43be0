// Package scheduler spreads the delivery of one object over several sources
// ("paths") whose rates and delays are unknown in advance, so that the
// receiver gets close to the sum of the paths' rates.
//
// The object is cut into small pieces that are handed out in offset order to
// whichever path is expected to drain soonest. Each path is kept supplied
// with enough work to cover twice its measured command latency and report
// interval, so no path idles and none holds much of the object. The
// receiver reports, per path, how many bytes it has received through it;
// because a path delivers its pieces in the order they were assigned, that
// count says exactly which pieces are complete. When nothing is left to hand
// out, idle fast paths duplicate the pieces that slow paths would finish
// last, and the pieces of a path that goes down are handed out again at once.
//
// A [Distributor] drives this with a real clock; the application feeds it
// receiver reports ([Distributor.Report]) and path events
// ([Distributor.PathDown], [Distributor.AddSource]). The package depends on
// nothing else of KWIK: a KWIK session is adapted to [Source] by its caller.
package scheduler
