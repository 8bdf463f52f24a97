/**
 * Pause points for crash-safety tests. With SLUICE_TEST_HOOKS=1 and
 * SLUICE_PAUSE_AT=<point>[,<point>...], the process logs `{"msg":"test-hook","point":...}` on
 * stdout when it reaches a listed point and then waits forever, so a test can SIGKILL it
 * exactly there. Without SLUICE_TEST_HOOKS=1 this is a no-op: production never pauses.
 *
 * Points: upload.before-data, upload.after-data, commit.after-temp (temp log file written,
 * not yet linked), commit.after-link, optimize.after-data, vacuum.after-start.
 */
const enabled = process.env.SLUICE_TEST_HOOKS === '1'
const points = new Set((process.env.SLUICE_PAUSE_AT ?? '').split(',').filter(Boolean))

export async function testPause(point: string): Promise<void> {
  if (!enabled || !points.has(point)) return
  process.stdout.write(JSON.stringify({ msg: 'test-hook', point }) + '\n')
  await new Promise<never>(() => {})
}
