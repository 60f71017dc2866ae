import { integer, readSettings, setting, type Field, type SettingsOf } from '../../lib/config.ts';
import type { Env } from '../aws/core/stack.ts';

/** Enough of an address to catch a typo or a stray word; SNS's confirmation mail proves the rest. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const email: Field<string | undefined> = {
  description: 'an email address subscribed to the stack\'s alerts topic; empty: none',
  parse(raw) {
    const value = raw?.trim() || undefined;
    if (value !== undefined && !EMAIL.test(value)) throw new Error(`is "${value}", not an email address`);
    return value;
  },
};

/** What `make bootstrap` reads for the alarms and the alerts topic (docs/observability.md). */
const MONITORING_SETTINGS = {
  alertEmail: setting('ALERT_EMAIL', email),
  oldestMessageSeconds: setting('ALARM_MESSAGE_AGE', integer(
    'the age of the queue\'s oldest message, in seconds, above which its alarm fires', 600, 60, 1_209_600)),
  incidentsPerFiveMinutes: setting('ALARM_INCIDENTS', integer(
    'the incidents in 5 minutes above which the incident-rate alarm fires', 10, 0, 1_000_000)),
};

export type MonitoringSettings = SettingsOf<typeof MONITORING_SETTINGS>;

export function readMonitoringSettings(env: Env): MonitoringSettings {
  return readSettings(env, MONITORING_SETTINGS);
}
