/// What `verify` found: either the whole log and the projections check out, or the first
/// thing that does not.
public struct VerifyReport: Sendable, Hashable, Encodable {
  /// True when the chain, every event's invariants and the projections all check out.
  public var ok: Bool
  /// Events in the log.
  public var events: Int64
  /// The last event's link of the hash chain, as recomputed.
  public var head: ChainHash
  /// The last event the live projections hold: they were compared with a replay up to it.
  public var projectionCheckpoint: Int64
  /// The first event whose link, sequence number or invariants are wrong.
  public var firstBadSeq: Int64?
  /// The first projection row that differs from the replay, described.
  public var firstDifferingRow: String?
  /// What is wrong, in words.
  public var problem: String?

  enum CodingKeys: String, CodingKey {
    case ok, events, head, problem
    case projectionCheckpoint = "projection_checkpoint"
    case firstBadSeq = "first_bad_seq"
    case firstDifferingRow = "first_differing_row"
  }
}

/// The head of the hash chain: what an auditor notes, and later hands to `verify`.
public struct ChainHead: Sendable, Hashable, Encodable {
  /// The last event's sequence number (0 for an empty log).
  public var seq: Int64
  /// Its link of the chain.
  public var head: ChainHash

  enum CodingKeys: String, CodingKey { case seq, head }
}
