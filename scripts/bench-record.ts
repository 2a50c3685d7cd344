/** Prints one benchmark figure: name, value, and the target it is measured against. */
export type Record = (name: string, value: string, target?: string) => void;
