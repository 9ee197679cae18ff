/** `{{name}}` placeholders filled in one pass, so filled-in text is never scanned again. */
import { OrchError } from "../errors.ts";

/** `template` with each `{{name}}` replaced by `values[name]`; a placeholder without a value is an error. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>, file = "template"): string {
  return template.replace(/\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) {
      throw new OrchError(`Template ${file} has a placeholder {{${name}}} that codegen does not fill`);
    }
    return v;
  });
}
