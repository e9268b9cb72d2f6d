/**
 * The one choice of listr2 renderer (STYLE rule 9): silent under the test runner or with --json,
 * plain lines when stderr is not a terminal or in CI, the live tree otherwise. Always on stderr,
 * so stdout stays the command's result.
 */
import {
  ListrLogger,
  ListrLogLevels,
  PRESET_TIMESTAMP,
  ProcessOutput,
  type ListrBaseClassOptions,
} from 'listr2';

type RendererChoice = Pick<
  ListrBaseClassOptions<any, any, any>,
  'renderer' | 'rendererOptions' | 'fallbackRenderer'
>;

export function rendererOptions(opts: { json?: boolean; quiet?: boolean } = {}): RendererChoice {
  const silent = opts.quiet || opts.json || process.env.NODE_TEST_CONTEXT !== undefined;
  const plain = !process.stderr.isTTY || !!process.env.CI;
  const processOutput = new ProcessOutput(
    process.stderr as NodeJS.WriteStream,
    process.stderr as NodeJS.WriteStream,
  );
  if (silent) return { renderer: 'silent' };
  if (plain) {
    // Every level to stderr: the plain renderer's logger writes some to stdout by default.
    const logger = new ListrLogger({ processOutput, toStderr: Object.values(ListrLogLevels) });
    return {
      renderer: 'simple',
      rendererOptions: {
        logger,
        timestamp: process.env.BOOTKUBE_TIMESTAMPS ? PRESET_TIMESTAMP : undefined,
      } as never,
    };
  }
  return {
    renderer: 'default',
    rendererOptions: { processOutput, collapseSubtasks: false } as never,
    fallbackRenderer: 'simple',
  };
}
