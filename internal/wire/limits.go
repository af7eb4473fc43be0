package wire

import "github.com/quic-go/quic-go/quicvarint"

// maxVarintLen is the size of the longest varint.
const maxVarintLen = 8

// bytesLen is the size of a bytes field of at most n bytes: its length
// prefix and the bytes.
func bytesLen(n int) int { return quicvarint.Len(uint64(n)) + n }

// controlFrameSpec describes one control frame type: how to decode its body
// and the largest body it can have, with every field at its largest.
type controlFrameSpec struct {
	new     func() bodyDecoder
	maxBody int
}

// controlFrames is every control frame this version knows. A reader checks
// a frame's Length against its maxBody before it reads or allocates
// anything, so a peer cannot make an endpoint hold more than the frame it
// claims to send could ever need. To add a frame type: its constant and
// name in frame.go, its struct in a file of its own, and one line here; the
// tests check that maxBody is exactly the body of the largest frame.
var controlFrames = map[FrameType]controlFrameSpec{
	FrameClientHello: {func() bodyDecoder { return new(ClientHello) },
		5*maxVarintLen + bytesLen(SessionIDLen) + bytesLen(MaxTokenLen)},
	FrameServerHello: {func() bodyDecoder { return new(ServerHello) },
		4*maxVarintLen + bytesLen(SessionIDLen) + quicvarint.Len(uint64(RoleSecondary))},
	FrameClose:             {func() bodyDecoder { return new(Close) }, maxVarintLen + bytesLen(MaxReasonLen)},
	FramePing:              {func() bodyDecoder { return new(Ping) }, maxVarintLen},
	FramePong:              {func() bodyDecoder { return new(Pong) }, maxVarintLen},
	FrameMaxStreamData:     {func() bodyDecoder { return new(MaxStreamData) }, 2 * maxVarintLen},
	FrameMaxData:           {func() bodyDecoder { return new(MaxData) }, maxVarintLen},
	FrameStreamDataBlocked: {func() bodyDecoder { return new(StreamDataBlocked) }, 2 * maxVarintLen},
	FrameMaxStreams:        {func() bodyDecoder { return new(MaxStreams) }, maxVarintLen},
	FrameResetStream:       {func() bodyDecoder { return new(ResetStream) }, 3 * maxVarintLen},
	FrameStopSending:       {func() bodyDecoder { return new(StopSending) }, 2*maxVarintLen + bytesLen(MaxReasonLen)},
	FrameAddPath: {func() bodyDecoder { return new(AddPath) },
		maxVarintLen + bytesLen(MaxAddressLen) + bytesLen(MaxTokenLen) + bytesLen(CertPinLen)},
	FramePathStatus: {func() bodyDecoder { return new(PathStatus) },
		maxVarintLen + quicvarint.Len(uint64(PathFailed)) + bytesLen(MaxReasonLen)},
	FrameRemovePath: {func() bodyDecoder { return new(RemovePath) }, maxVarintLen},
	// RAW_DATA carries the application's messages to a secondary: only the
	// frame size bounds it. It is read as its bytes arrive.
	FrameRawData:       {func() bodyDecoder { return new(RawData) }, MaxControlFrameSize},
	FrameRangesRequest: {func() bodyDecoder { return new(RangesRequest) }, 2 * maxVarintLen},
	FrameMissingRanges: {func() bodyDecoder { return new(MissingRanges) },
		4*maxVarintLen + quicvarint.Len(MaxRanges) + MaxRanges*2*maxVarintLen},
	FrameDeliveryReport: {func() bodyDecoder { return new(DeliveryReport) },
		quicvarint.Len(MaxDeliveries) + MaxDeliveries*3*maxVarintLen},
	FrameReportRequest: {func() bodyDecoder { return new(ReportRequest) }, maxVarintLen},
	FrameAssignRange: {func() bodyDecoder { return new(AssignRange) },
		3*maxVarintLen + quicvarint.Len(MaxPieceLen) + bytesLen(DigestLen)},
	FrameWithdrawRange: {func() bodyDecoder { return new(WithdrawRange) }, 4 * maxVarintLen},
	FramePieceFailed: {func() bodyDecoder { return new(PieceFailed) },
		3*maxVarintLen + quicvarint.Len(MaxPieceLen) + quicvarint.Len(uint64(PieceRefused))},
}

// MaxBodyLen returns the largest body a control frame of type t can have,
// and false if t is not a control frame type. Every value is at most
// MaxControlFrameSize; CLIENT_HELLO's is a few hundred bytes.
func MaxBodyLen(t FrameType) (int, bool) {
	spec, ok := controlFrames[t]
	return spec.maxBody, ok
}
