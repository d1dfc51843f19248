/** Types of tools/synth-inputs.mjs (plain JS so the synth step runs on bare node). */
export const INPUT_DIRS: string[];
export const INPUT_FILES: string[];
export interface SynthInputs {
  key: string;
  files: Record<string, string>;
  settings: Record<string, string>;
}
export function synthInputs(root: string, options: { args: string[]; env?: NodeJS.ProcessEnv; home?: string }): SynthInputs;
export function changedInputs(previous: Omit<SynthInputs, 'key'> | undefined, current: Omit<SynthInputs, 'key'>): string[];
