## Comment les requêtes sont reçues : ce qui est refusé avant toute page.

err-host-repeated = La requête nomme son hôte plus d’une fois ; envoyez un seul en-tête Host.
err-body-first-byte = Le corps de la requête n’a pas commencé en { $seconds } secondes ; veuillez le renvoyer.
err-body-broken = Le corps de la requête s’est interrompu avant d’être complet ; veuillez le renvoyer.
