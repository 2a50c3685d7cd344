// Contract entries for top-k scans and occlusion sensitivity (issue 7). Owned by that feature.
export interface TopkCalls {}
