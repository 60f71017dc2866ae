import { orAbsent } from '../core/calls.ts';
import { parseDocument, sameDocument } from '../core/drift.ts';
import { tagList, type Stack } from '../core/stack.ts';
import type { DashboardBody } from '../../monitoring/dashboard.ts';

const NOT_FOUND = 'ResourceNotFound';

interface ValidationMessage {
  DataPath?: string;
  Message?: string;
}

/** The dashboard `<stack>` with ops/monitoring/dashboard.ts's body: put when missing or when its body differs. */
export async function ensureDashboard(stack: Stack, body: DashboardBody): Promise<void> {
  const { cli, names, report } = stack;
  const resource = `dashboard ${names.dashboard}`;
  const current = await orAbsent(cli.call<{ DashboardBody: string }>('cloudwatch', 'get-dashboard', { DashboardName: names.dashboard }), NOT_FOUND);
  if (current !== undefined && sameDocument(parseDocument(current.DashboardBody), body)) {
    report.record('unchanged', resource);
    return;
  }
  // Tags are taken when the dashboard is made; a later put ignores them.
  const { DashboardValidationMessages: warnings = [] } = await cli.call<{ DashboardValidationMessages?: ValidationMessage[] }>('cloudwatch', 'put-dashboard', {
    DashboardName: names.dashboard,
    DashboardBody: JSON.stringify(body),
    Tags: tagList(names),
  });
  report.record(current === undefined ? 'created' : 'updated', resource, `${body.widgets.length} widgets`);
  // Errors fail the put; warnings mean a widget may not render.
  for (const warning of warnings) report.note(`dashboard ${names.dashboard}: ${warning.DataPath ?? ''} ${warning.Message ?? ''}`.trim());
}

export async function removeDashboard({ cli, names, report }: Stack): Promise<void> {
  const deleted = await orAbsent(cli.call('cloudwatch', 'delete-dashboards', { DashboardNames: [names.dashboard] }), NOT_FOUND);
  report.record(deleted === undefined ? 'absent' : 'removed', `dashboard ${names.dashboard}`);
}
