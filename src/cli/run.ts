export async function runCommand(): Promise<number> { throw new Error('sideband run: being built'); }
