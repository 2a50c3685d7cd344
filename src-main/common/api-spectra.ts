// Contract entries for filter-frequency diagnostics (issue 5). Owned by that feature.
export interface SpectraCalls {}
