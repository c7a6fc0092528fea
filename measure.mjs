import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { gzipSync } from 'zlib';
const stubs = {
  none: {},
  forms: { 'forms.ts': "export const readForm = (f) => ({ name: 'x' });" },
  sensitive: { 'sensitive.ts': "export const SENSITIVE_NAME=/x/, NEVER_READ_TYPES=/x/; export const looksSensitive=()=>false;" },
  engagement: { 'engagement.ts': "export function createEngagement(){ return { take(){ return {engagedMs:0,scrollDepth:0} } } }" },
  autocapture: { 'autocapture.ts': "export function startAutocapture(){}" },
  page: { 'page.ts': "export const readPageTags=()=>({}), readCampaign=()=>undefined;" },
  transport: { 'transport.ts': "export function createTransport(){ return { push(){}, flush(){}, flushOnHide(){}, save(){}, clear(){}, stats: {} } }" },
  visit: { 'visit.ts': "export const touchVisit=(p)=>p, makeId=()=>Math.random()+'';" },
  storage: { 'storage.ts': "export const openDeviceStore=()=>({get:k=>localStorage.getItem(k),set:(k,v)=>localStorage.setItem(k,v)});" },
};
for (const [name, map] of Object.entries(stubs)) {
  const bundle = await rollup({ input: 'sdk/src/browser.ts', logLevel: 'silent', plugins: [{ name: 'stub', load(id) { for (const [f, code] of Object.entries(map)) if (id.endsWith('/' + f)) return code; } }, typescript({ tsconfig: 'sdk/tsconfig.json', noEmitOnError: false }), terser({ compress: { passes: 3 }, mangle: process.env.PROPS ? { properties: { regex: /^(capture|transport|flushOnHide|stats|push|clear|errors|dropped)$/ } } : true })] });
  const { output } = await bundle.generate({ format: 'iife', strict: false });
  console.log(name.padEnd(12), gzipSync(output[0].code, { level: 9 }).length);
}
