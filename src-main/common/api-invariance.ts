// Contract entries for invariance sweeps and shift consistency (issue 6). Owned by that feature.
export interface InvarianceCalls {}
