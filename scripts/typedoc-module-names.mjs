// A TypeDoc plugin for typedoc.config.mjs: names each entry point's module by its import specifier
// (`@leakkit/core/heap`) instead of its path (`core/src/heap`), so the reference reads the way the
// code is imported.
import { relative, resolve } from 'node:path';
import { Converter, ParameterType, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.options.addDeclaration({
    name: 'leakkitModuleNames',
    help: 'Entry point source file → module name.',
    type: ParameterType.Mixed,
    defaultValue: {},
  });
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const names = app.options.getValue('leakkitModuleNames');
    const symbol = context.getSymbolFromReflection(reflection);
    const file = symbol?.declarations?.[0]?.getSourceFile().fileName;
    if (file === undefined) return;
    const name = names[relative(process.cwd(), resolve(file))];
    if (typeof name === 'string') reflection.name = name;
  });
}
