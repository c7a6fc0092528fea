/**
 * The lazily loaded web-vitals chunk (`/sdk/vitals.js`, an ES module the script imports once
 * the page has settled): reports LCP, INP and CLS through the running script, so the
 * metrics share its queue, consent and transport.
 */
import { onCLS, onINP, onLCP, type Metric } from 'web-vitals';

const report = ({ name, value, rating }: Metric) => (window as any).leadbeam?.('capture', 'vitals', name, { value: Math.round(value * 1000) / 1000, rating });

onLCP(report);
onINP(report);
onCLS(report);
