// Which files the YAML front ends read: apart from them, so that knowing it loads no YAML
// parser (compile-core.ts).
export function isYamlFile(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}
