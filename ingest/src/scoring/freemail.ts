/** Common free-mail domains: a lead writing from one is usually not buying for a company. */
export const FREEMAIL_DOMAINS = new Set(
  'gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr hotmail.com hotmail.co.uk hotmail.fr outlook.com live.com msn.com aol.com icloud.com me.com mac.com proton.me protonmail.com gmx.com gmx.de gmx.net web.de mail.com yandex.com yandex.ru zoho.com fastmail.com hey.com tutanota.com qq.com 163.com 126.com mail.ru free.fr orange.fr laposte.net libero.it'.split(
    ' ',
  ),
);
