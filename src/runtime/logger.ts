import type { Logger } from '../core/deps';

export function consoleLogger(format: 'text' | 'json' = 'text'): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    if (format === 'json') {
      console.log(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
    } else {
      console.log(`${level === 'error' ? 'ERROR ' : ''}${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
    }
  };
  return {
    info: (message, fields) => write('info', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}
